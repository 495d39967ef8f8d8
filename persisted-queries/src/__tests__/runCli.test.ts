import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_CHECKS, type ManifestCheck } from '../manifest/checks';
import { runCli, type CliIo } from '../cli/runCli';
import { sha256Hex } from '../sha256Hex';

const SUPERGRAPH = resolve(__dirname, '../../../supergraph.graphql');

function io(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env };
}

function manifest(texts: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'roam-cli-')), 'm.json');
  writeFileSync(file, JSON.stringify(Object.fromEntries(texts.map((t) => [`sha256:${sha256Hex(t)}`, t]))));
  return file;
}

describe('roam-pq (runCli)', () => {
  it('verify: counts, exit 0, --json', async () => {
    const a = io();
    expect(await runCli(['verify', manifest(['{ me { id } }', 'query P { topProducts { upc } }']), '--supergraph', SUPERGRAPH], a)).toBe(0);
    expect(a.out.join('')).toContain('All 2 operations (codegen format) are valid against');
    const b = io({ SUPERGRAPH_PATH: SUPERGRAPH });
    expect(await runCli(['verify', manifest(['{ me { id } }']), '--json'], b)).toBe(0);
    expect(JSON.parse(b.out.join(''))).toEqual({
      ok: true,
      command: 'verify',
      format: 'codegen',
      operations: 1,
      measurements: [{ id: sha256Hex('{ me { id } }'), values: { cost: 1, maxCost: 1_000_000, depth: 2, aliases: 0, rootFields: 1, tokens: 6, documentBytes: 13 } }],
    });
  });

  it('runs the extra checks it is given on every entry (e.g. a cost check added at merge)', async () => {
    const noMutations: ManifestCheck = (entry, context) =>
      entry.body.trimStart().startsWith('mutation') && context.supergraphSdl?.includes('addReview') ? ['mutations are not allowed in this list'] : [];
    const m = 'mutation { addReview(input: {authorId: "1", productUpc: "1", body: "b"}) { id } }';
    const out = io();
    expect(await runCli(['verify', manifest(['{ me { id } }', m]), '--supergraph', SUPERGRAPH, '--json'], out, { checks: [...DEFAULT_CHECKS, noMutations] })).toBe(1);
    expect(JSON.parse(out.out.join(''))).toMatchObject({ ok: false, operations: 2, invalid: 1, problems: [{ id: sha256Hex(m), message: 'mutations are not allowed in this list' }] });
  });

  it('verify checks the operation limits from the environment: the operation over MAX_COST is listed with its cost', async () => {
    // Cost model (README "Operation limits"): me is one User object (1); topProducts(first: 3) is a list
    // of 3 Product objects, each with Product.reviews (@listSize(assumedSize: 20) in the supergraph):
    // 3 * (1 + 20 * 1) = 63.
    const cheap = '{ me { id } }';
    const dear = 'query Dear { topProducts(first: 3) { upc reviews { id } } }';
    const file = manifest([cheap, dear]);
    const human = io({ MAX_COST: '3' });
    expect(await runCli(['verify', file, '--supergraph', SUPERGRAPH], human)).toBe(1);
    const text = human.err.join('');
    expect(text).toMatch(
      new RegExp(`1 of 2 operations is invalid:\\n  ${sha256Hex(dear)}: operation Dear: The operation's estimated cost is 63, over the limit of 3\\. \\[COST_ESTIMATED_TOO_EXPENSIVE\\]`),
    );
    expect(text).toContain(`${sha256Hex(cheap)}: cost 1 (limit 3)`);
    const json = io({ MAX_COST: '3' });
    expect(await runCli(['verify', file, '--supergraph', SUPERGRAPH, '--json'], json)).toBe(1);
    const report = JSON.parse(json.out.join(''));
    expect(report).toMatchObject({ ok: false, operations: 2, invalid: 1, problems: [{ id: sha256Hex(dear), code: 'COST_ESTIMATED_TOO_EXPENSIVE', limit: 3 }] });
    expect(report.problems[0].measured).toBe(63);
    expect(report.measurements.map((m: { values: { cost: number } }) => m.values.cost)).toEqual([1, 63]);
    // The same manifest passes for a client allowed more (LIMITS_BY_CLIENT with --client-name).
    const client = io({ MAX_COST: '3', LIMITS_BY_CLIENT: '{"ios":{"maxCost":100000}}' });
    expect(await runCli(['verify', file, '--supergraph', SUPERGRAPH, '--client-name', 'ios'], client)).toBe(0);
    expect(client.out.join('')).toContain(`${sha256Hex(cheap)}: cost 1 (limit 100000)`);
    // A bad limit variable is a usage error naming it.
    const bad = io({ MAX_COST: 'lots' });
    expect(await runCli(['verify', file, '--supergraph', SUPERGRAPH], bad)).toBe(2);
    expect(bad.err.join('')).toContain('MAX_COST="lots"');
  });

  it('exits 2 on usage errors and when push has no Redis, without writing', async () => {
    const a = io();
    expect(await runCli(['frobnicate'], a)).toBe(2);
    expect(a.err.join('')).toContain('unknown command "frobnicate"');
    const b = io();
    expect(await runCli(['push', manifest(['{ me { id } }']), '--supergraph', SUPERGRAPH], b)).toBe(2);
    expect(b.err.join('')).toContain('REDIS_URL (or --redis-url) is required');
    const c = io();
    expect(await runCli(['revoke', 'abc', '--client-name', 'ios'], c)).toBe(2);
    expect(c.err.join('')).toContain('not both');
    expect(await runCli([], io())).toBe(2);
    // found as a new user: `roam-pq revoke` alone said "…, not both"; a manifest that is not JSON did not name the file
    const d = io();
    expect(await runCli(['revoke'], d)).toBe(2);
    expect(d.err.join('')).toContain('revoke needs an id, or --client-name (with optional --client-version)');
    const notJson = join(mkdtempSync(join(tmpdir(), 'roam-cli-')), 'broken.json');
    writeFileSync(notJson, '{bad');
    const e = io();
    expect(await runCli(['verify', notJson, '--supergraph', SUPERGRAPH], e)).toBe(2);
    expect(e.err.join('')).toMatch(/^roam-pq: .*broken\.json is not JSON: /);
  });

  it('a limit of only whitespace is a usage error naming it (MAX_COST=" " was a limit of 0: every operation refused)', async () => {
    const a = io({ MAX_COST: ' ' });
    expect(await runCli(['verify', manifest(['{ me { id } }']), '--supergraph', SUPERGRAPH], a)).toBe(2);
    expect(a.err.join('')).toContain('MAX_COST=" ": only whitespace; give a value, or leave it empty for the default');
  });

  it('an operation nested too deeply to parse is named as such, not as a stack overflow', async () => {
    const a = io();
    expect(await runCli(['verify', manifest([`query D { me(x: ${'['.repeat(4000)}${']'.repeat(4000)}) { id } }`]), '--supergraph', SUPERGRAPH], a)).toBe(1);
    expect(a.err.join('')).toContain('does not parse: it nests values or selections too deeply (the gateway answers GRAPHQL_PARSE_FAILED)');
    expect(a.err.join('')).not.toContain('Maximum call stack');
  });
});
