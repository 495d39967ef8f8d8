import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { request as undiciRequest } from 'undici';
import { client as wsClient, postGraphQL, waitFor } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { startGateway, writeSupergraph, type GatewayProcess } from '../support/stack';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events: string[];
  service: unknown;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
}

/** A real OTLP/HTTP receiver: decodes the JSON `ExportTraceServiceRequest`s it is sent (OTLP specification, "OTLP/HTTP"). */
function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  // OTLP AnyValue: one of stringValue, boolValue, intValue, doubleValue, arrayValue { values }
  const anyValue = (value: Record<string, unknown>): unknown => {
    const array = value.arrayValue as { values?: Record<string, unknown>[] } | undefined;
    return array ? (array.values ?? []).map(anyValue) : Object.values(value)[0];
  };
  const attrs = (list: { key: string; value: Record<string, unknown> }[] = []) => Object.fromEntries(list.map((a) => [a.key, anyValue(a.value)]));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      expect(req.url).toBe('/v1/traces');
      expect(req.headers['content-type']).toMatch(/^application\/json/);
      const message = JSON.parse(body.toString('utf8'));
      for (const rs of message.resourceSpans ?? []) {
        const service = attrs(rs.resource?.attributes)['service.name'];
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              attributes: attrs(s.attributes),
              events: (s.events ?? []).map((e: { name: string }) => e.name),
              service,
              status: s.status?.code ?? 0,
            });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, server })));
}

/**
 * A real HTTP forwarder in front of one subgraph that records the `traceparent` of every request it forwards
 * (the subgraph sees exactly these headers: the forwarder passes them on).
 */
function startRecordingForwarder(target: string): Promise<{ url: string; traceparents: string[]; server: Server }> {
  const traceparents: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const header = req.headers.traceparent;
      if (typeof header === 'string') traceparents.push(header);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection' && k !== 'content-length')) as Record<string, string>;
      undiciRequest(target, { method: 'POST', headers, body: Buffer.concat(chunks) }).then(
        async (up) => {
          const body = await up.body.text();
          res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') }).end(body);
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, traceparents, server })));
}

// Issue 15 item 2: one span per request with the pipeline's stages and each subgraph fetch as children, W3C
// traceparent accepted from clients, OTLP over HTTP to a receiver this test runs. The gateway runs as a real
// process (`gateway/dist/bin.js`): the OTLP exporter loads `http` with a dynamic import(), which Jest's VM
// refuses without --experimental-vm-modules.
describe('tracing: OTLP/HTTP spans', () => {
  let subgraphs: InProcessSubgraphs;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let forwarder: Awaited<ReturnType<typeof startRecordingForwarder>>;
  let gateway: GatewayProcess;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    receiver = await startReceiver();
    // inventory is reached through the recording forwarder, so the test sees the headers it receives
    const definitions = subgraphs.definitions();
    const inventory = definitions.find((d) => d.name === 'inventory')!;
    forwarder = await startRecordingForwarder(inventory.url);
    gateway = await startGateway(writeSupergraph(definitions.map((d) => (d.name === 'inventory' ? { ...d, url: forwarder.url } : d))), {
      LOG_LEVEL: 'warn',
      TRACING_OTLP_URL: receiver.url,
      TRACING_SERVICE_NAME: 'roam-test',
    });
    url = gateway.url;
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.close();
    await new Promise((resolve) => forwarder?.server.close(resolve));
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  it("continues the client's traceparent with a SERVER span carrying the operation and stages; the plan span and a CLIENT span per subgraph fetch are its children, and the subgraph receives that fetch's traceparent", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpanId = '00f067aa0ba902b7';
    const res = await postGraphQL(
      url,
      { query: 'query Top { topProducts(first: 2) { upc name inStock reviews { body } } }' },
      { traceparent: `00-${traceId}-${clientSpanId}-01`, 'apollographql-client-name': 'ios' },
    );
    expect(res.status).toBe(200);
    await waitFor(() => receiver.spans.some((s) => s.kind === 2), 'the server span exported', 15_000, 100);
    const server = receiver.spans.find((s) => s.kind === 2)!;
    expect(server).toMatchObject({ traceId, parentSpanId: clientSpanId, name: 'POST /graphql', service: 'roam-test' });
    expect(server.attributes).toMatchObject({ 'graphql.operation.name': 'Top', 'graphql.operation.type': 'query', 'http.response.status_code': 200, 'roam.client.name': 'ios' });
    expect(server.attributes['roam.document.id']).toMatch(/^[0-9a-f]{64}$/);
    expect(server.events).toEqual(['document resolved', 'operation selected', 'checks passed', 'result']);
    await waitFor(() => receiver.spans.filter((s) => s.parentSpanId === server.spanId).length >= 4, 'the plan span and three fetch spans exported', 15_000, 100);
    const children = receiver.spans.filter((s) => s.parentSpanId === server.spanId);
    expect(children.every((c) => c.traceId === traceId)).toBe(true);
    // the plan: one INTERNAL child naming the subgraphs its fetches go to
    const plans = children.filter((c) => c.kind === 1);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ name: 'query plan', attributes: { 'roam.plan.subgraphs': ['inventory', 'products', 'reviews'] } });
    expect(plans[0]!.attributes['roam.plan.fetches']).toBeGreaterThanOrEqual(3);
    // each subgraph fetch: a CLIENT child of the request span (not of the plan span)
    const fetches = children.filter((c) => c.kind === 3);
    expect(fetches).toHaveLength(children.length - 1);
    expect(new Set(fetches.map((c) => c.name))).toEqual(new Set(['subgraph products', 'subgraph inventory', 'subgraph reviews']));
    expect(fetches.every((c) => c.status !== 2 && c.attributes['roam.coalesced'] === false)).toBe(true);
    // the inventory subgraph received the trace: W3C traceparent naming the client's trace and its fetch span
    const inventorySpans = fetches.filter((c) => c.name === 'subgraph inventory').map((c) => c.spanId);
    expect(forwarder.traceparents.length).toBe(inventorySpans.length);
    for (const header of forwarder.traceparents) {
      const [version, headerTraceId, parentId, flags] = header.split('-');
      expect({ version, headerTraceId, flags }).toEqual({ version: '00', headerTraceId: traceId, flags: '01' });
      expect(inventorySpans).toContain(parentId);
    }
  });

  it('a WebSocket subscribe gets a SERVER span continuing the traceparent of its extensions, with the front-door stages; a refused one is status ERROR with its code', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parentId = 'b7ad6b7169203331';
    const c = wsClient(url, { clientName: 'android' });
    try {
      const started = new Promise<void>((resolve, reject) => {
        // graphql-ws sends the payload as given: extensions carry the trace context (no headers per message)
        c.subscribe(
          { query: 'subscription Added { reviewAdded { id } }', extensions: { traceparent: `00-${traceId}-${parentId}-01` } },
          { next: () => undefined, error: reject, complete: () => undefined },
        );
        void waitFor(() => receiver.spans.some((s) => s.traceId === traceId), 'the subscribe span exported', 15_000, 100).then(() => resolve(), reject);
      });
      await started;
      const span = receiver.spans.find((s) => s.traceId === traceId)!;
      expect(span).toMatchObject({ name: 'graphql-ws subscribe', kind: 2, parentSpanId: parentId, status: 0 });
      expect(span.attributes).toMatchObject({ 'roam.transport': 'ws', 'graphql.operation.type': 'subscription', 'graphql.operation.name': 'Added', 'roam.client.name': 'android' });
      expect(span.events).toEqual(expect.arrayContaining(['document resolved', 'operation selected', 'checks passed']));

      const refusedTrace = '1af7651916cd43dd8448eb211c80319d';
      c.subscribe(
        { query: 'subscription { noSuchField }', extensions: { traceparent: `00-${refusedTrace}-${parentId}-01` } },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
      await waitFor(() => receiver.spans.some((s) => s.traceId === refusedTrace), 'the refused subscribe span exported', 15_000, 100);
      const refused = receiver.spans.find((s) => s.traceId === refusedTrace)!;
      expect(refused).toMatchObject({ name: 'graphql-ws subscribe', status: 2, attributes: { 'roam.error.code': 'GRAPHQL_VALIDATION_FAILED' } });
    } finally {
      await c.dispose();
    }
  });

  it('a query over WebSocket: its execute span is a child of the subscribe span and holds the plan and fetch spans', async () => {
    const traceId = '2af7651916cd43dd8448eb211c80319e';
    const c = wsClient(url, { clientName: 'android' });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        let data: unknown;
        c.subscribe(
          { query: 'query WsTop { topProducts(first: 1) { upc inStock } }', extensions: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } },
          { next: (r) => (data = r.data), error: reject, complete: () => resolve(data) },
        );
      });
      expect(result).toMatchObject({ topProducts: [{ upc: expect.any(String), inStock: expect.any(Boolean) }] });
      await waitFor(() => receiver.spans.filter((s) => s.traceId === traceId).length >= 5, 'subscribe, execute, plan and two fetch spans', 15_000, 100);
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      const subscribe = spans.find((s) => s.name === 'graphql-ws subscribe')!;
      const execute = spans.find((s) => s.name === 'graphql-ws execute')!;
      expect(execute).toMatchObject({ parentSpanId: subscribe.spanId, kind: 1, status: 0 });
      const under = spans.filter((s) => s.parentSpanId === execute.spanId);
      expect(under.map((s) => s.name).sort()).toEqual(['query plan', 'subgraph inventory', 'subgraph products']);
    } finally {
      await c.dispose();
    }
  });

  it('starts a new trace when the client sends no traceparent', async () => {
    const before = receiver.spans.length;
    expect((await postGraphQL(url, { query: '{ me { id } }' })).status).toBe(200);
    await waitFor(() => receiver.spans.slice(before).some((s) => s.kind === 2), 'a second server span', 15_000, 100);
    const server = receiver.spans.slice(before).find((s) => s.kind === 2)!;
    expect(server.parentSpanId).toBeUndefined();
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(server.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
