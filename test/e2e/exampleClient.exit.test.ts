import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@roam/testkit';
import { ROOT } from '../support/stack';

/** Runs clients/example (dist/main.js) against `url`; resolves with its exit status and stdout lines. */
function runClient(url: string): Promise<{ status: number | null; lines: { operation: string; status?: number; error?: string }[] }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'clients/example/dist/main.js')], { env: { ...process.env, GATEWAY_URL: url }, encoding: 'utf8', timeout: 30_000 }, (error, stdout) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ status, lines: stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) });
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
    expect(run.lines.map((l) => [l.operation, l.status])).toEqual([['ViewerQuery', 404], ['TopProductsQuery', 404]]);
  });

  it('no gateway listening → exit 1, one error line per operation, no stack trace', async () => {
    const run = await runClient(`http://127.0.0.1:${await freePort()}/graphql`);
    expect(run.status).toBe(1);
    expect(run.lines.map((l) => [l.operation, typeof l.error])).toEqual([['ViewerQuery', 'string'], ['TopProductsQuery', 'string']]);
  });
});
