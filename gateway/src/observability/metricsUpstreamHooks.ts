import type { UpstreamHooks } from '../upstream/types';
import type { GatewayMetrics } from './GatewayMetrics';

/**
 * Upstream hooks recording every subgraph fetch: `roam_subgraph_fetch_duration_seconds` by subgraph and
 * outcome (`success`, `error`, `coalesced` when the caller joined an identical fetch in flight) and
 * `roam_subgraph_fetch_errors_total` by subgraph and `SUBREQUEST_*` code.
 *
 * @returns hooks with `afterFetch` only (they never refuse a fetch).
 */
export function metricsUpstreamHooks(metrics: GatewayMetrics): UpstreamHooks {
  return {
    afterFetch(info, outcome) {
      const result = outcome.error ? 'error' : outcome.coalesced ? 'coalesced' : 'success';
      metrics.subgraphFetchDuration.observe({ subgraph: info.serviceName, outcome: result }, outcome.durationMs / 1000);
      if (outcome.error) metrics.subgraphFetchErrors.inc({ subgraph: info.serviceName, code: String(outcome.error.extensions.code ?? 'UNKNOWN') });
    },
  };
}
