import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@roam/testkit';
import { ROOT } from '../support/stack';

/** Runs clients/example (dist/main.js) against `url`; resolves with its exit status, stdout lines and stderr. */
function runClient(url: string, env: Record<string, string> = {}): Promise<{ status: number | null; lines: { operation: string; status?: number; error?: string }[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'clients/example/dist/main.js')], { env: { ...process.env, GATEWAY_URL: url, ...env }, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({
        status,
        lines: stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
        stderr,
      });
    });
  });
}

describe('the example client exits 1 when operations fail', () => {
  let server: Server;
  beforeAll(async () => {
    // A server that is not a GraphQL gateway: 404 with a JSON body that has no "errors".
    server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('every operation answered 404 without errors → exit 1, one line per operation', async () => {
    const run = await runClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
    expect(run.status).toBe(1);
    expect(run.lines.map((l) => [l.operation, l.status])).toEqual([
      ['ViewerQuery', 404],
      ['TopProductsQuery', 404],
    ]);
  });

  it('no gateway listening → exit 1, one error line per operation, no stack trace', async () => {
    const run = await runClient(`http://127.0.0.1:${await freePort()}/graphql`);
    expect(run.status).toBe(1);
    expect(run.lines.map((l) => [l.operation, typeof l.error])).toEqual([
      ['ViewerQuery', 'string'],
      ['TopProductsQuery', 'string'],
    ]);
  });
});

describe("the example client's settings (issue 15 rough edges)", () => {
  let server: Server;
  const seen: (string | undefined)[][] = [];
  beforeAll(async () => {
    // Records the client identity headers; answers like a gateway that does not know the hash.
    server = createServer((req, res) => {
      seen.push([req.headers['apollographql-client-name'] as string | undefined, req.headers['apollographql-client-version'] as string | undefined]);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errors":[{"message":"PersistedQueryNotFound","extensions":{"code":"PERSISTED_QUERY_NOT_FOUND"}}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

  it('RESPONSE_ENCODING=cbor: one clear line on stderr, exit 2, no stack trace, no request sent', async () => {
    seen.length = 0;
    const run = await runClient(url(), { RESPONSE_ENCODING: 'cbor' });
    expect(run.status).toBe(2);
    expect(run.lines).toEqual([]);
    expect(run.stderr).toBe('roam-example-client: RESPONSE_ENCODING="cbor": expected json or msgpack\n');
    expect(seen).toEqual([]);
  });

  it('REQUEST_ENCODING and GATEWAY_URL are checked the same way', async () => {
    expect(await runClient(url(), { REQUEST_ENCODING: 'xml' })).toMatchObject({ status: 2, stderr: 'roam-example-client: REQUEST_ENCODING="xml": expected json or msgpack\n' });
    const bad = await runClient('localhost:4000', {});
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^roam-example-client: GATEWAY_URL="localhost:4000": expected an http\(s\) URL/);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('sends CLIENT_NAME and CLIENT_VERSION as apollographql-client-name/-version (what roam-pq push --client-name scopes to)', async () => {
    seen.length = 0;
    await runClient(url(), { CLIENT_NAME: 'ios', CLIENT_VERSION: '3.2.0' });
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((s) => s.join('/')))).toEqual(new Set(['ios/3.2.0']));
  });
});
