import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startRedis, type TestRedis } from '@roam/testkit';
import { runCli, type CliIo } from '../../src/cli/runCli';
import { describeOperation } from '../../src/manifest/describeOperation';
import { sha256Hex } from '../../src/sha256Hex';

const SUPERGRAPH = resolve(__dirname, '../../../supergraph.graphql');

function io(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env };
}

// Issue 15 rough edge: `roam-pq list` showed `-` for the names and types that `push` printed (a Code Generator
// manifest holds only id → text). Real Redis.
describe('roam-pq list shows the names and types push printed', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a Code Generator manifest: push prints the names, list shows them with the operation types', async () => {
    const named = 'query Viewer { me { id } }';
    const anonymous = '{ topProducts(first: 1) { upc } }';
    const mutation = 'mutation AddReview { addReview(input: { authorId: "1", productUpc: "1", body: "b" }) { id } }';
    const file = join(mkdtempSync(join(tmpdir(), 'roam-cli-')), 'persisted-documents.json');
    writeFileSync(file, JSON.stringify(Object.fromEntries([named, anonymous, mutation].map((t) => [`sha256:${sha256Hex(t)}`, t]))));
    const env = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: 'names-test:' };

    const push = io(env);
    expect(await runCli(['push', file, '--supergraph', SUPERGRAPH], push)).toBe(0);
    expect(push.out.join('')).toContain(`${sha256Hex(named)} (Viewer): cost`);
    expect(push.out.join('')).toContain(`${sha256Hex(mutation)} (AddReview): cost`);

    const list = io(env);
    expect(await runCli(['list'], list)).toBe(0);
    const lines = list.out.join('').split('\n');
    expect(lines).toContain(`${sha256Hex(named)}  query  Viewer  all clients`);
    expect(lines).toContain(`${sha256Hex(mutation)}  mutation  AddReview  all clients`);
    expect(lines).toContain(`${sha256Hex(anonymous)}  query  -  all clients`);

    const json = io(env);
    expect(await runCli(['list', '--json'], json)).toBe(0);
    const ops = JSON.parse(json.out.join('')).operations as { id: string; name?: string; type?: string }[];
    expect(ops.find((o) => o.id === sha256Hex(named))).toMatchObject({ name: 'Viewer', type: 'query' });
  });

  it('describeOperation: names joined, one type when all agree', () => {
    expect(describeOperation('query A { me { id } } query B { me { id } }')).toEqual({ name: 'A, B', type: 'query' });
    expect(describeOperation('query A { me { id } } mutation B { x }')).toEqual({ name: 'A, B' });
    expect(describeOperation('{ me { id } }')).toEqual({ type: 'query' });
    expect(describeOperation('{ me ')).toEqual({});
  });
});
