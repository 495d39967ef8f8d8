import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@roam/testkit';
import pino from 'pino';
import { cacheControlPlugin } from '../../cacheControl/cacheControlPlugin';
import { composeSupergraph } from '../../compose/composeSupergraph';
import { RoamExecutor } from '../../executor/RoamExecutor';
import { OperationPipeline } from '../../pipeline/OperationPipeline';
import type { RequestInfo } from '../../pipeline/types';
import { SupergraphSnapshot } from '../../supergraph/SupergraphSnapshot';
import type { FetchInfo, FetchOutcome } from '../types';
import { defaultSubgraphPolicy } from '../SubgraphPolicy';
import { Upstreams } from '../Upstreams';

// A real HTTP server on loopback that the test steers: each request is answered by `reply`.
let reply: (req: IncomingMessage, res: ServerResponse, body: string) => void;
let requests = 0;
let server: Server;
let url: string;
const events: [string, FetchInfo, FetchOutcome | undefined][] = [];
const logger = pino({ level: 'silent' });
let upstreams: Upstreams;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests++;
      reply(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  // These tests map one failure after another on the same subgraph: the breaker must not open in between
  // (breakers have their own tests in faults.test.ts). The server answers fixed bodies, not GraphQL, so it cannot
  // answer a merged operation: fetch merging is off here (its own tests: mergeOperations.test.ts).
  const policy = defaultSubgraphPolicy(2000, false);
  upstreams = new Upstreams({
    timeoutMs: 2000,
    policies: { defaults: { ...policy, breaker: { ...policy.breaker, consecutiveFailures: 1000 } }, bySubgraph: {} },
    keepAliveMs: 0,
    logger,
    hooks: { beforeFetch: (info) => void events.push(['before', info, undefined]), afterFetch: (info, outcome) => void events.push(['after', info, outcome]) },
  });
});
afterAll(async () => {
  await upstreams.close();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  events.length = 0;
  requests = 0;
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const query = { query: '{ answer }', variables: {} };

describe('SubgraphClient: the one door to a subgraph', () => {
  it('returns the GraphQL response and the Cache-Control hint; hooks see the fetch', async () => {
    reply = json(200, { data: { answer: 42 } }, { 'cache-control': 'max-age=30, private' });
    const response = await upstreams.client('local', url).fetch(query, { operationType: 'query', coalesce: false });
    expect(response).toEqual({ data: { answer: 42 }, cacheHint: { maxAge: 30, scope: 'PRIVATE' } });
    expect(events.map(([kind, info]) => [kind, info])).toEqual([
      ['before', { serviceName: 'local', operationType: 'query' }],
      ['after', { serviceName: 'local', operationType: 'query' }],
    ]);
    expect(events[1]![2]!.error).toBeUndefined();
  });

  it('no Cache-Control: no hint (it restricts nothing)', async () => {
    reply = json(200, { data: { answer: 1 } });
    expect(await upstreams.client('local', url).fetch(query, { operationType: 'query', coalesce: false })).toEqual({ data: { answer: 1 } });
  });

  it('maps failures to one error naming the subgraph: HTML 502, 200 that is not JSON, 200 without data, refused connection', async () => {
    const codeOf = async () => {
      try {
        await upstreams.client('local', url).fetch(query, { operationType: 'query', coalesce: false });
        return undefined;
      } catch (error) {
        return (error as { extensions: Record<string, unknown> }).extensions;
      }
    };
    reply = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    };
    expect(await codeOf()).toEqual({ code: 'SUBREQUEST_HTTP_ERROR', serviceName: 'local', reason: 'HTTP 502' });
    reply = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{not json');
    };
    expect(await codeOf()).toMatchObject({ code: 'SUBREQUEST_MALFORMED_RESPONSE', serviceName: 'local' });
    reply = json(200, { hello: 'world' });
    expect(await codeOf()).toMatchObject({ code: 'SUBREQUEST_MALFORMED_RESPONSE', serviceName: 'local' });
    // A GraphQL-over-HTTP error reply with a JSON body still carries the subgraph's errors.
    reply = json(400, { errors: [{ message: 'nope' }] });
    expect(await upstreams.client('local', url).fetch(query, { operationType: 'query', coalesce: false })).toEqual({ errors: [{ message: 'nope' }] });
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    await expect(upstreams.client('gone', closed).fetch(query, { operationType: 'query', coalesce: false })).rejects.toMatchObject({
      extensions: { code: 'SUBREQUEST_HTTP_ERROR', serviceName: 'gone' },
    });
    expect(events.filter(([kind]) => kind === 'after').every(([, , outcome]) => typeof outcome!.durationMs === 'number')).toBe(true);
  });

  it('a beforeFetch hook can refuse a fetch without touching the subgraph', async () => {
    const refusing = new Upstreams({
      timeoutMs: 1000,
      keepAliveMs: 0,
      logger,
      hooks: {
        beforeFetch: () => {
          throw new Error('circuit open');
        },
      },
    });
    reply = json(200, { data: { answer: 1 } });
    await expect(refusing.client('local', url).fetch(query, { operationType: 'query', coalesce: false })).rejects.toThrow('circuit open');
    expect(requests).toBe(0);
    await refusing.close();
  });

  it('shares identical in-flight query fetches, never mutation fetches', async () => {
    reply = (req, res, body) => setTimeout(() => json(200, { data: { answer: body.length } })(req, res), 50);
    const client = upstreams.client('local', url);
    await Promise.all([1, 2, 3].map(() => client.fetch(query, { operationType: 'query', coalesce: true })));
    expect(requests).toBe(1);
    await Promise.all([1, 2, 3].map(() => client.fetch(query, { operationType: 'mutation', coalesce: true })));
    expect(requests).toBe(4);
  });
});

describe('subgraph Cache-Control reaches the response', () => {
  const SDL = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])\ntype Query { answer: Int }';
  const info: RequestInfo = { transport: 'http', method: 'POST', headers: new Map(), clientName: undefined, clientVersion: undefined, inBatch: false };
  const run = async () => {
    const snapshot = new SupergraphSnapshot(composeSupergraph([{ name: 'local', url, sdl: SDL }]), 1);
    const pipeline = new OperationPipeline({
      snapshot: () => snapshot,
      plugins: [cacheControlPlugin({ 'Query.answer': { maxAge: 60, scope: 'PUBLIC' } })],
      executor: new RoamExecutor({ upstreams, logger, coalesceInflight: false }),
      logger,
    });
    return pipeline.run({ query: '{ answer }' }, info);
  };

  it('the smaller max-age and a private scope of the subgraph reply restrict the supergraph hints', async () => {
    reply = json(200, { data: { answer: 1 } });
    expect((await run()).headers.get('cache-control')).toBe('max-age=60, public');
    reply = json(200, { data: { answer: 1 } }, { 'cache-control': 'max-age=30, public' });
    expect((await run()).headers.get('cache-control')).toBe('max-age=30, public');
    reply = json(200, { data: { answer: 1 } }, { 'cache-control': 'max-age=120, private' });
    expect((await run()).headers.get('cache-control')).toBe('max-age=60, private');
    reply = json(200, { data: { answer: 1 } }, { 'cache-control': 'no-store' });
    expect((await run()).headers.get('cache-control')).toBe('private, no-cache');
  });
});

describe('whole-request sharing and subgraph-fetch sharing are separate settings (issue 19)', () => {
  const SDL = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])\ntype Query { answer: Int }';
  const infoFor = (token: string): RequestInfo => ({
    transport: 'http',
    method: 'POST',
    headers: new Map([['authorization', `Bearer ${token}`]]),
    clientName: undefined,
    clientVersion: undefined,
    inBatch: false,
  });
  /** Three concurrent `{ answer }` queries with the given tokens; @returns subgraph HTTP requests and requests that joined a whole execution. */
  const run = async (options: { coalesceRequests: boolean; coalesceFetches: boolean }, tokens: string[]) => {
    const snapshot = new SupergraphSnapshot(composeSupergraph([{ name: 'local', url, sdl: SDL }]), 1);
    const executor = new RoamExecutor({ upstreams, logger, ...options });
    const pipeline = new OperationPipeline({ snapshot: () => snapshot, plugins: [], executor, logger });
    reply = (req, res) => setTimeout(() => json(200, { data: { answer: 42 } })(req, res), 100);
    const results = await Promise.all(tokens.map((t) => pipeline.run({ query: '{ answer }' }, infoFor(t))));
    for (const r of results) expect(r.body).toEqual({ data: { answer: 42 } });
    const counts = { subgraphRequests: requests, joinedRequests: executor.requests.joined };
    requests = 0;
    return counts;
  };

  it('different users share subgraph fetches, not requests; one user shares the request', async () => {
    expect(await run({ coalesceRequests: false, coalesceFetches: true }, ['u1', 'u2', 'u3'])).toEqual({ subgraphRequests: 1, joinedRequests: 0 });
    expect(await run({ coalesceRequests: true, coalesceFetches: false }, ['u1', 'u2', 'u3'])).toEqual({ subgraphRequests: 3, joinedRequests: 0 });
    expect(await run({ coalesceRequests: true, coalesceFetches: false }, ['u1', 'u1', 'u1'])).toEqual({ subgraphRequests: 1, joinedRequests: 2 });
    expect(await run({ coalesceRequests: false, coalesceFetches: false }, ['u1', 'u1', 'u1'])).toEqual({ subgraphRequests: 3, joinedRequests: 0 });
  });
});
