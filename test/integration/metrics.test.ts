import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { sha256Hex } from '@roam/persisted-queries';
import { openAcked, postGraphQL, waitFor } from '@roam/testkit';
import { startInProcessGateway, startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { sample, scrape } from '../support/metrics';
import { BENCHMARK_QUERY, writeSupergraph } from '../support/stack';

// Issue 15 item 1: GET /metrics from a real gateway (real subgraphs in-process on port 0) and the values move
// with real traffic over HTTP and WebSocket.
describe('metrics: GET /metrics on a real gateway', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;
  let metricsUrl: string;
  const ios = { 'apollographql-client-name': 'ios', 'apollographql-client-version': '3.1.0' };

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    ({ gateway, url } = await startInProcessGateway(subgraphs, {
      MAX_ALIASES: '2',
      METRICS_CLIENT_NAMES: 'ios,android',
      METRICS_MAX_CLIENT_VERSIONS: '2',
      SHUTDOWN_GRACE_MS: '2000',
    }));
    metricsUrl = url.replace(/\/graphql$/, '/metrics');
  });
  afterAll(async () => {
    await gateway?.close();
    // the last test stopped inventory already
    await Promise.allSettled(Object.values(subgraphs?.servers ?? {}).map((server) => server.close()));
  });

  it('serves the Prometheus text format with the default process metrics and event-loop lag', async () => {
    const res = await request(metricsUrl);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.body.text();
    expect(text).toMatch(/^# TYPE roam_requests_total counter$/m);
    expect(text).toMatch(/^# TYPE roam_subgraph_fetch_duration_seconds histogram$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('counts a query by transport, type, status and code, with its bytes on the wire after compression and the subgraph fetches', async () => {
    const before = await scrape(metricsUrl);
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'br', ...ios }, body: JSON.stringify({ query: BENCHMARK_QUERY }) });
    const wire = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    const after = await scrape(metricsUrl);
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('roam_requests_total', { transport: 'http', operation_type: 'query', status: '200', code: 'none', client_name: 'ios', client_version: '3.1.0' })).toBe(1);
    expect(delta('roam_http_response_bytes_sum', { encoding: 'br', client_name: 'ios' })).toBe(wire.length);
    expect(delta('roam_http_responses_total', { encoding: 'br', media_type: 'application/json' })).toBe(1);
    // the benchmark response compresses well: ratio (uncompressed / wire) far above 1
    expect(delta('roam_http_response_compression_ratio_sum', { encoding: 'br' })).toBeGreaterThan(5);
    expect(delta('roam_http_request_bytes_sum', { client_name: 'ios' })).toBe(Buffer.byteLength(JSON.stringify({ query: BENCHMARK_QUERY })));
    for (const subgraph of ['products', 'reviews', 'accounts', 'inventory']) {
      expect(delta('roam_subgraph_fetch_duration_seconds_count', { subgraph })).toBeGreaterThanOrEqual(1);
    }
    expect(delta('roam_operation_cost_count', { client_name: 'ios' })).toBe(1);
  });

  it('bounds client labels: unknown names and versions past the bound become "other"', async () => {
    await postGraphQL(url, { query: '{ me { id } }' }, { 'apollographql-client-name': 'evil-' + 'x'.repeat(100) });
    await postGraphQL(url, { query: '{ me { id } }' }, { ...ios, 'apollographql-client-version': '9.9.9' });
    await postGraphQL(url, { query: '{ me { id } }' }, { ...ios, 'apollographql-client-version': '9.9.10' });
    const text = await scrape(metricsUrl);
    expect(sample(text, 'roam_requests_total', { client_name: 'other', client_version: 'other' })).toBe(1);
    expect(text).not.toContain('evil-');
    // the bound is 2 versions per client: 3.1.0 and 9.9.9 are kept, 9.9.10 is "other"
    expect(sample(text, 'roam_requests_total', { client_name: 'ios', client_version: '9.9.9' })).toBe(1);
    expect(sample(text, 'roam_requests_total', { client_name: 'ios', client_version: 'other' })).toBe(1);
    expect(text).not.toContain('9.9.10');
  });

  it('counts persisted-query outcomes: miss, registered, hit', async () => {
    const query = '{ topProducts(first: 1) { upc } }';
    const ext = { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } };
    expect((await postGraphQL(url, { extensions: ext }, ios)).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await postGraphQL(url, { query, extensions: ext }, ios)).status).toBe(200);
    expect((await postGraphQL(url, { extensions: ext }, ios)).body.data).toEqual({ topProducts: [{ upc: '1' }] });
    const text = await scrape(metricsUrl);
    for (const outcome of ['miss', 'registered', 'hit']) expect(sample(text, 'roam_persisted_queries_total', { outcome, client_name: 'ios' })).toBe(1);
    expect(sample(text, 'roam_requests_total', { code: 'PERSISTED_QUERY_NOT_FOUND', status: '200' })).toBe(1);
  });

  it('counts limit refusals by code, also a batch over the limit refused before the pipeline', async () => {
    const aliased = await postGraphQL(url, { query: '{ a: me { id } b: me { id } c: me { id } }' }, ios);
    expect(aliased.body.errors[0].extensions.code).toBe('MAX_ALIASES_LIMIT');
    const batch = await postGraphQL(
      url,
      Array.from({ length: 21 }, () => ({ query: '{ me { id } }' })),
    );
    expect(batch.body.errors[0].extensions.code).toBe('BATCH_LIMIT_EXCEEDED');
    const text = await scrape(metricsUrl);
    expect(sample(text, 'roam_limits_refusals_total', { code: 'MAX_ALIASES_LIMIT', client_name: 'ios' })).toBe(1);
    expect(sample(text, 'roam_limits_refusals_total', { code: 'BATCH_LIMIT_EXCEEDED', client_name: 'none' })).toBe(1);
    expect(sample(text, 'roam_requests_total', { transport: 'http', operation_type: 'query', status: '400', code: 'MAX_ALIASES_LIMIT' })).toBe(1);
  });

  it('counts WebSocket connections, active subscriptions and delivered events', async () => {
    const socket = await openAcked(url, { headers: { 'apollographql-client-name': 'android' } });
    socket.send({ id: '1', type: 'subscribe', payload: { query: 'subscription { reviewAdded(upc: "1") { id } }' } });
    await waitFor(async () => sample(await scrape(metricsUrl), 'roam_subscriptions_active') === 1, 'one active subscription');
    let text = await scrape(metricsUrl);
    expect(sample(text, 'roam_websocket_connections')).toBe(1);
    expect(sample(text, 'roam_websocket_connections_opened_total', { client_name: 'android' })).toBe(1);
    expect(sample(text, 'roam_requests_total', { transport: 'ws', operation_type: 'subscription', code: 'none', client_name: 'android' })).toBe(1);
    await waitFor(
      async () =>
        (await postGraphQL(url, { query: 'mutation { addReview(input: { authorId: "1", productUpc: "1", body: "m" }) { id } }' })).status === 200 && socket.messages.some((m) => m.type === 'next'),
      'an event',
      15_000,
      200,
    );
    text = await scrape(metricsUrl);
    expect(sample(text, 'roam_subscription_events_delivered_total')).toBeGreaterThanOrEqual(1);
    socket.ws.close();
    await waitFor(async () => sample(await scrape(metricsUrl), 'roam_websocket_connections') === 0, 'the connection gone');
    expect(sample(await scrape(metricsUrl), 'roam_subscriptions_active')).toBe(0);
  });

  it('counts subgraph fetch errors by subgraph and code when a subgraph is down', async () => {
    await subgraphs.servers.inventory.close();
    const res = await postGraphQL(url, { query: '{ topProducts(first: 1) { upc inStock } }' });
    expect(res.body.errors[0].extensions.code).toBe('SUBREQUEST_HTTP_ERROR');
    const text = await scrape(metricsUrl);
    expect(sample(text, 'roam_subgraph_fetch_errors_total', { subgraph: 'inventory', code: 'SUBREQUEST_HTTP_ERROR' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'roam_subgraph_fetch_duration_seconds_count', { subgraph: 'inventory', outcome: 'error' })).toBeGreaterThanOrEqual(1);
  });
});

describe('metrics: METRICS_PORT and METRICS=off', () => {
  let subgraphs: InProcessSubgraphs;
  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
  });
  afterAll(async () => {
    await subgraphs?.close();
  });

  it('serves /metrics on a separate port only, with METRICS_PORT', async () => {
    const gateway = createGateway(readConfig({ PORT: '0', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'silent', METRICS_PORT: '0' }), pino({ level: 'silent' }));
    try {
      const url = await gateway.listen();
      expect((await request(url.replace(/\/graphql$/, '/metrics'))).statusCode).toBe(404);
      await postGraphQL(url, { query: '{ me { id } }' });
      const own = gateway.metricsUrl();
      expect(own).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(own).not.toBe(url.replace(/\/graphql$/, '/metrics'));
      expect(sample(await scrape(own!), 'roam_requests_total', { transport: 'http', status: '200' })).toBe(1);
      // anything else on the metrics port is refused in the GraphQL error shape, not Fastify's own body
      const base = own!.replace(/\/metrics$/, '');
      for (const [path, status, code] of [
        ['/nope', 404, 'NOT_FOUND'],
        ['/%zz', 400, 'BAD_REQUEST'],
      ] as const) {
        const res = await request(`${base}${path}`);
        const body = (await res.body.json()) as { errors: { extensions: { code: string } }[] };
        expect({ path, status: res.statusCode, code: body.errors[0]?.extensions.code }).toEqual({ path, status, code });
      }
    } finally {
      await gateway.close();
    }
  });

  it('serves no /metrics with METRICS=off', async () => {
    const gateway = createGateway(readConfig({ PORT: '0', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'silent', METRICS: 'off' }), pino({ level: 'silent' }));
    try {
      const url = await gateway.listen();
      expect((await request(url.replace(/\/graphql$/, '/metrics'))).statusCode).toBe(404);
      expect(gateway.observability.metrics).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });
});
