import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRegistry, REPO_ROOT, repoPath, SUBGRAPHS, type SubgraphEntry } from '..';
import { readStackSettings, StackSettingsError } from '../stackSettings';

const json = (path: string) => JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8'));
const first = SUBGRAPHS[0]!;

describe('registry of reference subgraphs', () => {
  it("names each variable after its subgraph and keeps every port off the gateway's 4000", () => {
    expect(SUBGRAPHS.map((s) => s.name)).toEqual(expect.arrayContaining(['accounts', 'products', 'inventory', 'reviews']));
    for (const s of SUBGRAPHS) {
      const prefix = s.name.toUpperCase().replace(/-/g, '_');
      expect([s.portVariable, s.urlVariable, s.port === 4000]).toEqual([`${prefix}_PORT`, `${prefix}_URL`, false]);
    }
  });

  // Adding a subgraph = its package + one registry entry; this says what else the repository needs.
  it.each(SUBGRAPHS.map((s) => [s.name, s] as const))('%s: its package, bin, schema, entry points, workspace and build reference agree with the entry', (_name, s: SubgraphEntry) => {
    const pkg = json(`${s.dir}/package.json`);
    expect(pkg.name).toBe(s.package);
    expect(Object.keys(pkg.bin ?? {})).toContain(s.bin);
    expect(existsSync(repoPath(s.schema))).toBe(true);
    expect(s.main).toBe(`${s.dir}/dist/index.js`);
    expect(s.server).toBe(`${s.dir}/dist/server.js`);
    expect(existsSync(repoPath(`${s.dir}/src/index.ts`)) && existsSync(repoPath(`${s.dir}/src/server.ts`))).toBe(true);
    expect(json('package.json').workspaces).toContain(s.dir);
    expect(json('tsconfig.build.json').references.map((r: { path: string }) => r.path)).toContain(s.dir);
  });

  it('rejects a malformed registry, naming the entry and field', () => {
    const raw = (over: Partial<Record<keyof SubgraphEntry, unknown>>) => ({ subgraphs: [{ ...first }, { ...SUBGRAPHS[1]!, ...over }] });
    expect(() => parseRegistry({})).toThrow(/expected \{ "subgraphs"/);
    expect(() => parseRegistry(raw({ port: 4001 }))).toThrow('port 4001 is used by both "accounts" and "products"');
    expect(() => parseRegistry(raw({ portVariable: 'ACCOUNTS_PORT' }))).toThrow('variable "ACCOUNTS_PORT" is used by both "accounts" and "products"');
    expect(() => parseRegistry(raw({ port: 'x' }))).toThrow('subgraphs[1] ("products").port: expected an integer 1-65535, got "x"');
    expect(() => parseRegistry(raw({ urlVariable: 'products url' }))).toThrow(/subgraphs\[1\] \("products"\)\.urlVariable: expected a string matching/);
    expect(() => parseRegistry(raw({ schema: undefined }))).toThrow('subgraphs[1] ("products").schema: expected a non-empty string, got undefined');
  });
});

describe('readStackSettings (shared by npm start and npm run compose)', () => {
  it('defaults: registry ports, loopback URLs, the tracked supergraph.graphql', () => {
    const s = readStackSettings({});
    expect(s.subgraphs.map((x) => [x.port, x.url])).toEqual(SUBGRAPHS.map((e) => [e.port, `http://127.0.0.1:${e.port}/graphql`]));
    expect([s.defaultUrls, s.supergraphPath]).toEqual([true, join(REPO_ROOT, 'supergraph.graphql')]);
  });

  it('custom ports: URLs on those ports and the untracked .roam/supergraph.<ports>.graphql', () => {
    const env = Object.fromEntries(SUBGRAPHS.map((e, i) => [e.portVariable, String(45001 + i)]));
    const s = readStackSettings(env);
    expect(s.subgraphs.map((x) => x.url)).toEqual(SUBGRAPHS.map((_e, i) => `http://127.0.0.1:${45001 + i}/graphql`));
    expect(s.supergraphPath).toBe(join(REPO_ROOT, '.roam', `supergraph.${SUBGRAPHS.map((_e, i) => 45001 + i).join('-')}.graphql`));
  });

  it('a <NAME>_URL wins over the port; SUPERGRAPH_PATH wins over the derived file', () => {
    const s = readStackSettings({ [first.urlVariable]: 'http://accounts.internal/graphql', SUPERGRAPH_PATH: '/tmp/x.graphql' });
    expect(s.subgraphs[0]!.url).toBe('http://accounts.internal/graphql');
    expect([s.defaultUrls, s.supergraphPath]).toEqual([false, '/tmp/x.graphql']);
  });

  it('lists every bad variable with the value given', () => {
    let error: unknown;
    try {
      readStackSettings({ ACCOUNTS_PORT: 'abc', PRODUCTS_PORT: '0', INVENTORY_PORT: '4004', REVIEWS_URL: 'ftp://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StackSettingsError);
    expect((error as StackSettingsError).problems).toEqual([
      'ACCOUNTS_PORT="abc": expected a TCP port, an integer from 1 to 65535',
      'PRODUCTS_PORT="0": expected a TCP port, an integer from 1 to 65535',
      'REVIEWS_URL="ftp://x": expected an http:// or https:// URL',
      'REVIEWS_PORT="4004": the same port as INVENTORY_PORT',
    ]);
  });
});
