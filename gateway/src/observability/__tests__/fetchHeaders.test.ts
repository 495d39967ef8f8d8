import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { defaultSubgraphPolicy } from '../../upstream/SubgraphPolicy';
import type { FetchInfo } from '../../upstream/types';
import { Upstreams } from '../../upstream/Upstreams';
import { composeUpstreamHooks } from '../composeUpstreamHooks';

// The upstream layer's `fetchHeaders` hook (how tracing propagates W3C traceparent): what it returns reaches the
// subgraph on every attempt, several hook sets merge, and `afterFetch` gets the same info object.
describe('UpstreamHooks.fetchHeaders', () => {
  let server: Server;
  let url: string;
  const received: IncomingHttpHeaders[] = [];
  let failFirst = false;
  let upstreams: Upstreams;
  const infos: { asked: FetchInfo[]; ended: FetchInfo[] } = { asked: [], ended: [] };

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume().on('end', () => {
        received.push(req.headers);
        if (failFirst) {
          failFirst = false;
          res.writeHead(503).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const policy = defaultSubgraphPolicy(2000);
    upstreams = new Upstreams({
      timeoutMs: 2000,
      policies: { defaults: { ...policy, retry: { ...policy.retry, maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } }, bySubgraph: {} },
      keepAliveMs: 0,
      logger: pino({ level: 'silent' }),
      hooks: composeUpstreamHooks(
        {
          fetchHeaders: (info) => {
            infos.asked.push(info);
            return { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
          },
        },
        undefined,
        { fetchHeaders: () => ({ tracestate: 'roam=1' }), afterFetch: (info) => void infos.ended.push(info) },
      ),
    });
  });
  afterAll(async () => {
    await upstreams.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the merged headers beside the JSON ones, on the first attempt and on a retry, and ends with the same info', async () => {
    failFirst = true;
    const response = await upstreams.client('products', url).fetch({ query: '{ ok }', variables: {} }, { operationType: 'query', coalesce: false });
    expect(response.data).toEqual({ ok: true });
    expect(received).toHaveLength(2);
    for (const headers of received) {
      expect(headers).toMatchObject({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'roam=1', 'content-type': 'application/json' });
    }
    expect(infos.asked).toHaveLength(1);
    expect(infos.ended).toEqual(infos.asked);
    expect(infos.ended[0]).toBe(infos.asked[0]);
  });
});
