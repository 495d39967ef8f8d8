// The Grafana dashboard of Roam (deploy/grafana/dashboards/roam.json), rendered from the panel list below so
// every query stays one place to read. Every metric a panel queries is one the gateway exports
// (gateway/src/observability/GatewayMetrics.ts and prom-client's default metrics): test/docs/deploy.test.ts
// scrapes a real GatewayMetrics registry and fails on a name or label it does not know.
// Grafana dashboard JSON model: https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/
'use strict';

/** The provisioned Prometheus data source's uid (deploy/grafana/provisioning/datasources/prometheus.yml). */
const DATASOURCE_UID = 'roam-prometheus';
const RATE = '[$__rate_interval]';

/**
 * The rows and panels: title, unit (Grafana unit id), and PromQL targets ({ expr, legend }).
 * `$client` filters by client name (a dashboard variable over `roam_requests_total`'s `client_name` label).
 */
const ROWS = [
  {
    title: 'Requests',
    panels: [
      {
        title: 'Requests per second by transport and operation type',
        unit: 'reqps',
        targets: [{ expr: `sum by (transport, operation_type) (rate(roam_requests_total{client_name=~"$client"}${RATE}))`, legend: '{{transport}} {{operation_type}}' }],
      },
      { title: 'Errors per second by code', unit: 'reqps', targets: [{ expr: `sum by (code) (rate(roam_requests_total{code!="none", client_name=~"$client"}${RATE}))`, legend: '{{code}}' }] },
      {
        title: 'Request duration (p50, p95, p99)',
        unit: 's',
        targets: [0.5, 0.95, 0.99].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le, transport) (rate(roam_request_duration_seconds_bucket${RATE})))`, legend: `p${q * 100} {{transport}}` })),
      },
    ],
  },
  {
    title: 'Mobile: what phones pay for',
    panels: [
      {
        title: 'Response bytes on the wire per request (p50, p95) by client',
        unit: 'bytes',
        targets: [0.5, 0.95].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (le, client_name) (rate(roam_http_response_bytes_bucket{client_name=~"$client"}${RATE})))`,
          legend: `p${q * 100} {{client_name}}`,
        })),
      },
      {
        title: 'Bytes per second sent, by client version',
        unit: 'Bps',
        targets: [{ expr: `sum by (client_name, client_version) (rate(roam_http_response_bytes_sum{client_name=~"$client"}${RATE}))`, legend: '{{client_name}} {{client_version}}' }],
      },
      {
        title: 'Error ratio by client version',
        unit: 'percentunit',
        targets: [
          {
            expr: `sum by (client_name, client_version) (rate(roam_requests_total{code!="none", client_name=~"$client"}${RATE})) / sum by (client_name, client_version) (rate(roam_requests_total{client_name=~"$client"}${RATE}))`,
            legend: '{{client_name}} {{client_version}}',
          },
        ],
      },
      {
        title: 'Persisted-query outcomes by client version',
        unit: 'reqps',
        targets: [
          { expr: `sum by (outcome, client_name, client_version) (rate(roam_persisted_queries_total{client_name=~"$client"}${RATE}))`, legend: '{{outcome}} {{client_name}} {{client_version}}' },
        ],
      },
      {
        title: 'Compression ratio (median) by encoding',
        unit: 'none',
        targets: [{ expr: `histogram_quantile(0.5, sum by (le, encoding) (rate(roam_http_response_compression_ratio_bucket${RATE})))`, legend: '{{encoding}}' }],
      },
      {
        title: 'Responses by encoding and media type',
        unit: 'reqps',
        targets: [{ expr: `sum by (encoding, media_type) (rate(roam_http_responses_total${RATE}))`, legend: '{{encoding}} {{media_type}}' }],
      },
      {
        title: 'Request bytes on the wire (p95) by client',
        unit: 'bytes',
        targets: [{ expr: `histogram_quantile(0.95, sum by (le, client_name) (rate(roam_http_request_bytes_bucket{client_name=~"$client"}${RATE})))`, legend: '{{client_name}}' }],
      },
    ],
  },
  {
    title: 'Operation limits',
    panels: [
      {
        title: 'Limit refusals per second by code',
        unit: 'reqps',
        targets: [{ expr: `sum by (code, client_name) (rate(roam_limits_refusals_total{client_name=~"$client"}${RATE}))`, legend: '{{code}} {{client_name}}' }],
      },
      {
        title: 'Operation cost (p50, p95)',
        unit: 'none',
        targets: [0.5, 0.95].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le) (rate(roam_operation_cost_bucket{client_name=~"$client"}${RATE})))`, legend: `p${q * 100}` })),
      },
    ],
  },
  {
    title: 'Subgraphs',
    panels: [
      {
        title: 'Subgraph fetch duration (p95) by subgraph',
        unit: 's',
        targets: [{ expr: `histogram_quantile(0.95, sum by (le, subgraph) (rate(roam_subgraph_fetch_duration_seconds_bucket{outcome!="coalesced"}${RATE})))`, legend: '{{subgraph}}' }],
      },
      {
        title: 'Subgraph fetches per second by outcome',
        unit: 'reqps',
        targets: [{ expr: `sum by (subgraph, outcome) (rate(roam_subgraph_fetch_duration_seconds_count${RATE}))`, legend: '{{subgraph}} {{outcome}}' }],
      },
      {
        title: 'Subgraph fetch errors per second by code',
        unit: 'reqps',
        targets: [{ expr: `sum by (subgraph, code) (rate(roam_subgraph_fetch_errors_total${RATE}))`, legend: '{{subgraph}} {{code}}' }],
      },
      { title: 'Circuit breakers open or half-open', unit: 'none', targets: [{ expr: 'max by (subgraph, state) (roam_subgraph_breaker_state{state!="closed"})', legend: '{{subgraph}} {{state}}' }] },
    ],
  },
  {
    title: 'WebSocket and subscriptions',
    panels: [
      {
        title: 'Connections open, and opened per second (reconnects)',
        unit: 'short',
        targets: [
          { expr: 'sum(roam_websocket_connections)', legend: 'open' },
          { expr: `sum by (client_name) (rate(roam_websocket_connections_opened_total{client_name=~"$client"}${RATE}))`, legend: 'opened/s {{client_name}}' },
        ],
      },
      {
        title: 'Subscriptions active and shared upstreams',
        unit: 'short',
        targets: [
          { expr: 'sum(roam_subscriptions_active)', legend: 'client subscriptions' },
          { expr: 'sum(roam_subscription_upstreams)', legend: 'upstream subscriptions' },
        ],
      },
      {
        title: 'Subscription events delivered and dropped per second',
        unit: 'short',
        targets: [
          { expr: `sum(rate(roam_subscription_events_delivered_total${RATE}))`, legend: 'delivered' },
          { expr: `sum(rate(roam_subscription_events_dropped_total${RATE}))`, legend: 'dropped (slow reader)' },
        ],
      },
    ],
  },
  {
    title: 'Mobile features: idempotency, response cache, deltas, resume, multipart',
    panels: [
      {
        title: 'Idempotency-key outcomes per second',
        unit: 'reqps',
        targets: [{ expr: `sum by (outcome) (rate(roam_idempotency_requests_total{client_name=~"$client"}${RATE}))`, legend: '{{outcome}}' }],
      },
      {
        title: 'Response cache lookups per second (hit, miss, bypass)',
        unit: 'reqps',
        targets: [{ expr: `sum by (state) (rate(roam_response_cache_requests_total{client_name=~"$client"}${RATE}))`, legend: '{{state}}' }],
      },
      {
        title: 'Response cache invalidations per second by source',
        unit: 'short',
        targets: [{ expr: `sum by (source) (rate(roam_response_cache_invalidations_total${RATE}))`, legend: '{{source}}' }],
      },
      {
        title: 'Delta answers per second (226 patch, 304, full 200)',
        unit: 'reqps',
        targets: [{ expr: `sum by (outcome) (rate(roam_delta_responses_total{client_name=~"$client"}${RATE}))`, legend: '{{outcome}}' }],
      },
      {
        title: 'Bytes per second saved by delta patches',
        unit: 'Bps',
        targets: [{ expr: `sum by (client_name) (rate(roam_delta_saved_bytes_total{client_name=~"$client"}${RATE}))`, legend: '{{client_name}}' }],
      },
      {
        title: 'Subscription resumes per second by outcome',
        unit: 'short',
        targets: [{ expr: `sum by (outcome) (rate(roam_subscription_resumes_total${RATE}))`, legend: '{{outcome}}' }],
      },
      {
        title: 'Upstream subscription reconnects per second',
        unit: 'short',
        targets: [{ expr: `sum by (subgraph, outcome) (rate(roam_upstream_reconnects_total${RATE}))`, legend: '{{subgraph}} {{outcome}}' }],
      },
      {
        title: 'Multipart responses per second by kind',
        unit: 'reqps',
        targets: [{ expr: `sum by (kind) (rate(roam_multipart_responses_total{client_name=~"$client"}${RATE}))`, legend: '{{kind}}' }],
      },
    ],
  },
  {
    title: 'Process',
    panels: [
      { title: 'CPU (cores used)', unit: 'short', targets: [{ expr: `rate(process_cpu_seconds_total${RATE})`, legend: '{{instance}}' }] },
      { title: 'Event-loop lag (p99)', unit: 's', targets: [{ expr: 'nodejs_eventloop_lag_p99_seconds', legend: '{{instance}}' }] },
      {
        title: 'Memory',
        unit: 'bytes',
        targets: [
          { expr: 'process_resident_memory_bytes', legend: 'rss {{instance}}' },
          { expr: 'nodejs_heap_size_used_bytes', legend: 'heap used {{instance}}' },
        ],
      },
    ],
  },
];

/** @returns the dashboard JSON model (Grafana 10+/11, schemaVersion 39): one row per {@link ROWS} entry, time series panels 8 wide. */
function renderDashboard() {
  const datasource = { type: 'prometheus', uid: DATASOURCE_UID };
  const panels = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    row.panels.forEach((panel, i) => {
      panels.push({
        id: id++,
        type: 'timeseries',
        title: panel.title,
        datasource,
        gridPos: { h: 8, w: 8, x: (i % 3) * 8, y: y + Math.floor(i / 3) * 8 },
        fieldConfig: { defaults: { unit: panel.unit, custom: { lineWidth: 1, fillOpacity: 10 } }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
        targets: panel.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource, expr: t.expr, legendFormat: t.legend, range: true })),
      });
    });
    y += Math.ceil(row.panels.length / 3) * 8;
  }
  const dashboard = {
    uid: 'roam-gateway',
    title: 'Roam gateway',
    description: 'Generated by `npm run generate:deploy` (scripts/grafanaDashboard.js); do not edit. Metrics: README "Observability".',
    tags: ['roam', 'graphql'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    templating: {
      list: [
        {
          name: 'client',
          label: 'Client name',
          type: 'query',
          datasource,
          query: { query: 'label_values(roam_requests_total, client_name)', refId: 'client' },
          definition: 'label_values(roam_requests_total, client_name)',
          includeAll: true,
          allValue: '.*',
          multi: true,
          current: { selected: true, text: ['All'], value: ['$__all'] },
          refresh: 2,
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

module.exports = { renderDashboard, DATASOURCE_UID, ROWS };
