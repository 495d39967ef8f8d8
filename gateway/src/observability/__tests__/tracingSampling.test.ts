import { Tracing } from '../Tracing';

// TRACING_SAMPLE_RATIO: an unrecorded request still propagates its trace to subgraphs (W3C Trace Context,
// sampled flag 00), so a subgraph that traces joins the same trace id. Nothing is exported here (ratio 0), so no
// OTLP receiver is needed; the recorded path is tested end to end in test/e2e/tracing.test.ts.
describe('Tracing with TRACING_SAMPLE_RATIO=0', () => {
  const tracing = new Tracing({ otlpUrl: 'http://127.0.0.1:9/v1/traces', serviceName: 'roam-test', sampleRatio: 0 });
  afterAll(() => tracing.close());
  const hooks = tracing.upstreamHooks();
  const fetchHeaders = (headers: Record<string, string>) =>
    tracing.around(
      { method: 'POST', url: '/graphql', headers },
      async () => hooks.fetchHeaders!({ serviceName: 'products', operationType: 'query' }),
      () => 200,
    );

  it('sends subgraphs a traceparent with the sampled flag off for a trace it starts', async () => {
    const headers = await fetchHeaders({});
    expect(headers?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it("keeps an unsampled client's trace id", async () => {
    const headers = await fetchHeaders({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
    expect(headers?.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    expect(headers?.traceparent).not.toContain('00f067aa0ba902b7');
  });

  it('adds nothing to fetches outside a request', () => {
    expect(hooks.fetchHeaders!({ serviceName: 'products', operationType: 'query' })).toBeUndefined();
  });
});
