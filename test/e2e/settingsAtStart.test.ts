import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/stack';

/** Runs a Roam program with `vars` and returns how it exited (each case must exit by itself, before listening). */
function run(script: string, vars: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [join(ROOT, script)], { env: { ...process.env, LOG_LEVEL: 'warn', ...vars }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

// Found as a new user: a value of only whitespace (`PORT= ` in an env file) was read by zod's number coercion
// as 0, so `roam-gateway` and a subgraph listened on a random port and HEAP_GROWTH_PERCENT=" " silently meant
// "V8 decides". It is refused at start, naming the variable, before anything listens.
describe('a setting of only whitespace stops the start, naming it', () => {
  it('roam-gateway: PORT=" " and HEAP_GROWTH_PERCENT=" " exit 1 with both named, nothing listens', () => {
    const r = run('gateway/dist/bin.js', { PORT: ' ', HEAP_GROWTH_PERCENT: '  ', SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\s+PORT=" ": only whitespace; give a value, or leave it empty for the default$/m);
    expect(r.stderr).toMatch(/^\s+HEAP_GROWTH_PERCENT=" {2}": only whitespace/m);
    expect(r.stderr + r.stdout).not.toMatch(/ready at|\n\s+at /);
  });

  it('a subgraph: PORT=" " exits 1 naming PORT, nothing listens', () => {
    const r = run('subgraphs/reviews/dist/index.js', { PORT: ' ' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\s+PORT: only whitespace; give a value, or leave it empty for the default \(got " "\)$/m);
    expect(r.stderr + r.stdout).not.toMatch(/subgraph ready/);
  });
});

// Found as a new user: METRICS_PORT equal to PORT failed at listen with EADDRINUSE naming only PORT, and a
// SUBGRAPH_PROPAGATE_HEADERS entry that is not a header name ("x tenant") was accepted and propagated nothing.
describe('settings that cannot work are refused at start, naming them', () => {
  it('roam-gateway: METRICS_PORT = PORT, and a propagated "header" with a space, exit 1 before listening', () => {
    const r = run('gateway/dist/bin.js', { PORT: '4999', METRICS_PORT: '4999', SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\s+METRICS_PORT="4999": the same port as PORT; unset it to serve \/metrics on PORT$/m);
    expect(r.stderr + r.stdout).not.toMatch(/EADDRINUSE|ready at|\n\s+at /);
    const headers = run('gateway/dist/bin.js', { PORT: '0', SUBGRAPH_PROPAGATE_HEADERS: 'x-ok,x tenant', SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql') });
    expect(headers.status).toBe(1);
    expect(headers.stderr).toMatch(/^\s+SUBGRAPH_PROPAGATE_HEADERS names something that is not a header name: "x tenant"$/m);
  });

  it('roam-gateway: a HOST it cannot listen on is named in the start failure (it named SUPERGRAPH_PATH and PORT only)', () => {
    const r = run('gateway/dist/bin.js', { PORT: '0', HOST: 'no such host', SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql') });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/Roam gateway could not start: getaddrinfo ENOTFOUND no such host \(SUPERGRAPH_PATH=[^,]+, HOST=no such host, PORT=0\)/);
  });
});
