import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@roam/testkit';
import { SUBGRAPHS } from '@roam/subgraph-registry';
import { ROOT } from '../support/stack';
import { commandOf, descendants, isRunning } from '../support/processTree';

// Issue 15: `kill -TERM` (or -INT) sent to `npm start`'s pid, or to `npx roam-gateway`'s, left the stack
// running as orphans (npm forwards the signal to its `sh -c`, which dies without passing it on). No
// process may outlive its parent: every descendant must be gone a few seconds after the signal.

/** Free ports for the gateway (PORT) and each registry subgraph (`<NAME>_PORT`), never 4000–4004. */
async function stackEnv(): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', PORT: String(await freePort()), SUPERGRAPH_PATH: join(mkdtempSync(join(tmpdir(), 'roam-signals-')), 'supergraph.graphql') };
  for (const s of SUBGRAPHS) env[s.portVariable] = String(await freePort());
  return env;
}

function collect(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return () => out;
}

/** Every pid in `pids` still running, with its command line. */
const survivors = (pids: number[]) => pids.filter(isRunning).map((pid) => `${pid} ${commandOf(pid)}`);

async function expectAllGone(pids: number[], what: string): Promise<void> {
  await waitFor(() => survivors(pids).length === 0, `${what}: every process to exit (still running: ${survivors(pids).join('; ')})`, 10_000, 100).catch(() => undefined);
  expect(survivors(pids)).toEqual([]);
}

async function startStack(command: string, args: string[]): Promise<{ child: ChildProcess; output: () => string; pids: number[] }> {
  const child = spawn(command, args, { cwd: ROOT, env: await stackEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child);
  await waitFor(() => output().includes('Roam is running'), `the stack to start (output so far: ${output()})`, 60_000, 100);
  const pids = descendants(child.pid!);
  // npm start: sh, start.js, one process per subgraph and the gateway
  expect(pids.length).toBeGreaterThanOrEqual(SUBGRAPHS.length + 1);
  return { child, output, pids };
}

// npm start builds nothing here but starts the whole registry (the lists subgraph's embedded PGlite takes seconds): generous timeouts.
jest.setTimeout(180_000);

describe('no process outlives its parent', () => {
  let started: ChildProcess | undefined;
  let pids: number[] = [];
  afterEach(() => {
    // clean up whatever a failing test left behind, by the pids this test started
    for (const pid of [started?.pid, ...pids]) if (pid && isRunning(pid)) process.kill(pid, 'SIGKILL');
    started = undefined;
    pids = [];
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('`npm start` stops every child when its npm process gets %s', async (signal) => {
    const stack = await startStack('npm', ['start']);
    started = stack.child;
    pids = stack.pids;
    expect(pids.map(commandOf).join('\n')).toContain('scripts/start.js');
    stack.child.kill(signal);
    await expectAllGone([stack.child.pid!, ...pids], `npm start after ${signal}`);
  });

  it('the children of `node scripts/start.js` exit by themselves when it is killed with SIGKILL', async () => {
    const stack = await startStack(process.execPath, [join(ROOT, 'scripts/start.js')]);
    started = stack.child;
    pids = stack.pids;
    expect(pids).toHaveLength(SUBGRAPHS.length + 1);
    stack.child.kill('SIGKILL');
    await expectAllGone(pids, 'start.js children after SIGKILL of start.js');
  });

  it.each(SUBGRAPHS.map((s) => [s.bin, s.name]))('`npx %s` stops the subgraph when npx gets SIGTERM', async (bin, name) => {
    const port = await freePort();
    const child = spawn('npx', ['--no-install', bin], { cwd: ROOT, env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    started = child;
    const output = collect(child);
    await waitFor(() => output().includes(`${name} subgraph ready`), `npx ${bin} to start (output so far: ${output()})`, 60_000, 100);
    pids = descendants(child.pid!);
    expect(pids.map(commandOf).join('\n')).toContain(bin);
    child.kill('SIGTERM');
    await expectAllGone([child.pid!, ...pids], `npx ${bin} after SIGTERM`);
  });

  it('`npx roam-gateway` stops the gateway when npx gets SIGTERM', async () => {
    const env = await stackEnv();
    const child = spawn('npx', ['--no-install', 'roam-gateway'], {
      cwd: ROOT,
      env: { ...env, SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started = child;
    const output = collect(child);
    await waitFor(() => output().includes('Roam gateway ready'), `npx roam-gateway to start (output so far: ${output()})`, 60_000, 100);
    pids = descendants(child.pid!);
    expect(pids.map(commandOf).join('\n')).toContain('roam-gateway');
    child.kill('SIGTERM');
    await expectAllGone([child.pid!, ...pids], 'npx roam-gateway after SIGTERM');
  });
});
