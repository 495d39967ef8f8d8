import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { postGraphQL, waitFor } from '@roam/testkit';
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
}

/** A real OTLP/HTTP receiver: decodes the JSON `ExportTraceServiceRequest`s it is sent (OTLP specification, "OTLP/HTTP"). */
function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const attrs = (list: { key: string; value: Record<string, unknown> }[] = []) => Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]));
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
            });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, server })));
}

// Issue 15 item 2: one span per request with the pipeline's stages and each subgraph fetch as children, W3C
// traceparent accepted from clients, OTLP over HTTP to a receiver this test runs. The gateway runs as a real
// process (`gateway/dist/bin.js`): the OTLP exporter loads `http` with a dynamic import(), which Jest's VM
// refuses without --experimental-vm-modules.
describe('tracing: OTLP/HTTP spans', () => {
  let subgraphs: InProcessSubgraphs;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let gateway: GatewayProcess;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    receiver = await startReceiver();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), { LOG_LEVEL: 'warn', TRACING_OTLP_URL: receiver.url, TRACING_SERVICE_NAME: 'roam-test' });
    url = gateway.url;
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  it("continues the client's traceparent with a SERVER span carrying the operation, stages as events, and a CLIENT child span per subgraph fetch", async () => {
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
    const children = receiver.spans.filter((s) => s.parentSpanId === server.spanId);
    expect(children.every((c) => c.traceId === traceId && c.kind === 3)).toBe(true);
    expect(new Set(children.map((c) => c.name))).toEqual(new Set(['subgraph products', 'subgraph inventory', 'subgraph reviews']));
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
