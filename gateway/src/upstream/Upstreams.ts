import type { Logger } from 'pino';
import { Agent } from 'undici';
import { InflightCoalescer } from './InflightCoalescer';
import { SubgraphClient, type SentReply } from './SubgraphClient';
import { CIRCUIT_OPEN_REASON } from './subgraphFailure';
import { SubgraphGuard, type BreakerState } from './SubgraphGuard';
import { defaultSubgraphPolicy, policyFor, type SubgraphPolicies } from './SubgraphPolicy';
import type { UpstreamHooks } from './types';
import { UpstreamPool, type UpstreamPoolOptions } from './UpstreamPool';

/** Settings of {@link Upstreams}. */
export interface UpstreamsOptions {
  /** Deadline of one HTTP fetch (connect, headers, body), in ms; also the WebSocket `connection_ack` deadline. */
  readonly timeoutMs: number;
  /** Interval of graphql-ws pings to subgraphs, in ms; 0 turns them off. */
  readonly keepAliveMs: number;
  /** Per-subgraph policies (deadlines, concurrency, retries, breaker). @default the built-in policy with `timeoutMs` for every subgraph */
  readonly policies?: SubgraphPolicies;
  /** Hooks run around every fetch. @default none */
  readonly hooks?: UpstreamHooks;
  /** Secret per subgraph name (`"*"` for every other) to sign HTTP fetches with (`SUBGRAPH_SIGNING_SECRETS`; README "Security"). @default none (unsigned) */
  readonly signingSecrets?: Readonly<Record<string, string>>;
  /** Largest subgraph reply read, in bytes (`SUBGRAPH_MAX_RESPONSE_BYTES`); past it the fetch fails with "response too large". @default Infinity */
  readonly maxResponseBytes?: number;
  /** Told each subscription-socket reconnect by outcome ({@link UpstreamPoolOptions.onReconnect}). @default none */
  readonly onReconnect?: UpstreamPoolOptions['onReconnect'];
  readonly logger: Logger;
}

/**
 * The upstream layer: the only code that talks to subgraphs. It owns one keep-alive undici pool for HTTP,
 * one {@link SubgraphClient} per subgraph (by name and URL, kept across supergraph reloads while the URL stays),
 * the coalescer of identical in-flight fetches, and the graphql-ws pool ({@link UpstreamPool}) through which
 * subscriptions reach the subgraph that owns their root field.
 */
export class Upstreams {
  /** Identical in-flight subgraph query fetches (shared by every client). */
  readonly fetches = new InflightCoalescer<SentReply>();
  /** graphql-ws clients to subgraphs (subscriptions' primary fetches). */
  readonly ws: UpstreamPool;
  private readonly agent: Agent;
  private readonly clients = new Map<string, SubgraphClient>();
  private readonly guards = new Map<string, SubgraphGuard>();
  private readonly hooks: UpstreamHooks;
  private readonly policies: SubgraphPolicies;
  private readonly logger: Logger;
  private readonly signingSecrets: Readonly<Record<string, string>>;
  private readonly maxResponseBytes: number;

  constructor(options: UpstreamsOptions) {
    this.signingSecrets = options.signingSecrets ?? {};
    this.maxResponseBytes = options.maxResponseBytes ?? Infinity;
    const t = options.timeoutMs;
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1, connectTimeout: t, headersTimeout: t, bodyTimeout: t });
    this.hooks = options.hooks ?? {};
    this.policies = options.policies ?? { defaults: defaultSubgraphPolicy(t), bySubgraph: {} };
    this.logger = options.logger;
    // Subscriptions consult the same breakers: no WebSocket is opened to a subgraph whose circuit is open.
    this.ws = new UpstreamPool({
      connectTimeoutMs: t,
      keepAliveMs: options.keepAliveMs,
      logger: options.logger,
      hooks: this.hooks,
      // The subgraph's HTTP client is created here too: it is what probes the circuit in the background.
      admit: (service, httpUrl) => (this.client(service, httpUrl) && this.guard(service).refuses() ? CIRCUIT_OPEN_REASON : undefined),
      report: (service, ok) => this.guard(service).record(ok),
      signingSecret: (service) => options.signingSecrets?.[service] ?? options.signingSecrets?.['*'],
      // Dropped subscription sockets are re-opened under the subgraph's reconnect policy and the same breaker.
      reconnectPolicy: (service) => this.guard(service).policy.reconnect,
      ...(options.onReconnect ? { onReconnect: options.onReconnect } : {}),
      onAdmitted: (service, listener) => {
        const subscription = this.guard(service).breaker.onReset(() => {
          subscription.dispose();
          listener();
        });
        return () => subscription.dispose();
      },
    });
  }

  /**
   * @param name - subgraph name.
   * @returns its resilience state (policy, breaker, retry budget), created on first use and kept across reloads.
   */
  guard(name: string): SubgraphGuard {
    let guard = this.guards.get(name);
    if (!guard) {
      guard = new SubgraphGuard(name, policyFor(this.policies, name), this.logger);
      this.guards.set(name, guard);
    }
    return guard;
  }

  /** @returns each subgraph's circuit breaker state (subgraphs fetched at least once), by name. */
  breakerStates(): Record<string, BreakerState> {
    const states: Record<string, BreakerState> = {};
    for (const [name, guard] of this.guards) states[name] = guard.state;
    return states;
  }

  /**
   * @param name - subgraph name.
   * @param url - its GraphQL endpoint in the current supergraph.
   * @returns the client of that subgraph at that URL (created on first use).
   */
  client(name: string, url: string): SubgraphClient {
    const key = `${name}\u0000${url}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new SubgraphClient(name, url, this.guard(name), this.fetches, this.hooks, this.signingSecrets[name] ?? this.signingSecrets['*'], this.maxResponseBytes);
      this.clients.set(key, client);
    } else {
      // The URL of the current supergraph is the one the breaker probes (a reload back to an earlier URL included).
      const ready = client;
      this.guard(name).setProber(() => ready.probe(), url);
    }
    return client;
  }

  /** The undici pool (for the Apollo Gateway test oracle's fetcher). */
  get dispatcher(): Agent {
    return this.agent;
  }

  /** Closes the WebSocket clients and the HTTP pools. */
  async close(): Promise<void> {
    await this.ws.close();
    await Promise.all([this.agent.close(), ...[...this.guards.values()].map((g) => g.close())]);
  }
}
