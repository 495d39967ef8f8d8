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
    expect(JSON.parse(b.out.join(''))).toEqual({ ok: true, command: 'verify', format: 'codegen', operations: 1 });
  });

  it('runs the extra checks it is given on every entry (e.g. a cost check added at merge)', async () => {
    const noMutations: ManifestCheck = (entry, context) => (entry.body.trimStart().startsWith('mutation') && context.supergraphSdl?.includes('addReview') ? ['mutations are not allowed in this list'] : []);
    const m = 'mutation { addReview(input: {authorId: "1", productUpc: "1", body: "b"}) { id } }';
    const out = io();
    expect(await runCli(['verify', manifest(['{ me { id } }', m]), '--supergraph', SUPERGRAPH, '--json'], out, { checks: [...DEFAULT_CHECKS, noMutations] })).toBe(1);
    expect(JSON.parse(out.out.join(''))).toMatchObject({ ok: false, operations: 2, invalid: 1, problems: [{ id: sha256Hex(m), message: 'mutations are not allowed in this list' }] });
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
    expect(await runCli([], io())).toBe(2);
  });
});
