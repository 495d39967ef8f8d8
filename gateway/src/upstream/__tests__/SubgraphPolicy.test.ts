import { ConfigError, readConfig } from '../../config';
import { defaultSubgraphPolicy, policyFor } from '../SubgraphPolicy';

describe('SUBGRAPH_POLICIES: defaults, "*" and per-subgraph overrides', () => {
  it('defaults follow SUBGRAPH_TIMEOUT_MS; "*" changes every subgraph; a subgraph entry wins field by field', () => {
    const config = readConfig({
      SUBGRAPH_TIMEOUT_MS: '2000',
      SUBGRAPH_POLICIES: JSON.stringify({ '*': { retry: { maxRetries: 1 } }, inventory: { timeoutMs: 800, breaker: { halfOpenAfterMs: 100 } } }),
    });
    expect(config.subgraphPolicies.defaults).toEqual(defaultSubgraphPolicy(2000));
    expect(config.subgraphPolicies.defaults.connectTimeoutMs).toBe(2000);
    const inventory = policyFor(config.subgraphPolicies, 'inventory');
    expect(inventory).toMatchObject({ timeoutMs: 800, retry: { maxRetries: 1, budgetRatio: 0.2 }, breaker: { halfOpenAfterMs: 100, consecutiveFailures: 5 } });
    expect(policyFor(config.subgraphPolicies, 'products')).toMatchObject({ timeoutMs: 2000, retry: { maxRetries: 1 }, breaker: { halfOpenAfterMs: 5000 } });
    expect(readConfig({}).subgraphPolicies.defaults).toMatchObject({ connectTimeoutMs: 3000, timeoutMs: 10_000, maxConcurrentRequests: 1000 });
  });

  it('subscription reconnect: documented defaults, merged field by field, unknown keys refused', () => {
    expect(readConfig({}).subgraphPolicies.defaults.reconnect).toEqual({ maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 5000, maxElapsedMs: 60_000 });
    const config = readConfig({ SUBGRAPH_POLICIES: JSON.stringify({ '*': { reconnect: { maxDelayMs: 1000 } }, reviews: { reconnect: { maxAttempts: 0 } } }) });
    expect(policyFor(config.subgraphPolicies, 'reviews').reconnect).toEqual({ maxAttempts: 0, baseDelayMs: 100, maxDelayMs: 1000, maxElapsedMs: 60_000 });
    expect(() => readConfig({ SUBGRAPH_POLICIES: '{"reviews":{"reconnect":{"attempts":3}}}' })).toThrow(/SUBGRAPH_POLICIES=.*reviews/);
    expect(() => readConfig({ SUBGRAPH_POLICIES: '{"reviews":{"reconnect":{"maxAttempts":-1}}}' })).toThrow(/reviews\.reconnect\.maxAttempts/);
  });

  it('rejects JSON that is not JSON, unknown keys and out-of-range values, naming the variable and the field', () => {
    expect(() => readConfig({ SUBGRAPH_POLICIES: '{inventory' })).toThrow(ConfigError);
    expect(() => readConfig({ SUBGRAPH_POLICIES: '{inventory' })).toThrow(/SUBGRAPH_POLICIES=.*expected a JSON object/);
    expect(() => readConfig({ SUBGRAPH_POLICIES: '{"inventory":{"timeoutMS":800}}' })).toThrow(/SUBGRAPH_POLICIES=.*inventory/);
    expect(() => readConfig({ SUBGRAPH_POLICIES: '{"inventory":{"breaker":{"failureRatio":1.5}}}' })).toThrow(/inventory\.breaker\.failureRatio/);
    expect(() => readConfig({ MAX_INFLIGHT_REQUESTS: '-1' })).toThrow(/MAX_INFLIGHT_REQUESTS/);
  });
});
