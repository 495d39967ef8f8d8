import { createHash } from 'node:crypto';
import type { Fetcher } from '@apollo/utils.fetcher';
import { GraphQLError, print, type DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import { EventStream } from './EventStream';
import type { EventOperation } from './executeSubscriptionEvent';
import { SubscriptionHub } from './SubscriptionHub';
import { SupergraphPlanner } from './SupergraphPlanner';
import { UpstreamPool } from './UpstreamPool';

/** Settings of {@link SubscriptionRouter}. */
export interface SubscriptionRouterOptions {
  /** Fetcher of entity fetches (the gateway's pooled undici fetcher). */
  readonly fetcher: Fetcher;
  /** Deadline for a subgraph's `connection_ack`, in ms. */
  readonly upstreamConnectTimeoutMs: number;
  /** Interval of graphql-ws pings to subgraphs, in ms (0 = off). */
  readonly upstreamKeepAliveMs: number;
  /** Bound of undelivered events per client subscription, in events. */
  readonly maxQueuedEvents: number;
  readonly logger: Logger;
}

/** Who subscribes: the authorization scope decides sharing and which credentials go upstream. */
export interface SubscriberScope {
  /** Opaque key: subscriptions share an upstream only with equal scopes. */
  readonly key: string;
  /** `connection_init` payload for the subgraph (forwarded credentials). */
  readonly connectionParams: Record<string, unknown>;
}

/**
 * The federated subscription engine: plans subscriptions against the current supergraph, shares
 * identical ones through {@link SubscriptionHub}s, and survives supergraph reloads.
 *
 * On reload every hub's operation is planned again on the new supergraph: when the plan (and the
 * owning subgraph's URL) is unchanged the hub keeps running on the new supergraph; otherwise — the
 * plan changed or the document no longer validates — its subscribers get one `error` with
 * `SUBSCRIPTION_SCHEMA_RELOAD` (Apollo Router's code) and can resubscribe.
 */
export class SubscriptionRouter {
  private current: SupergraphPlanner | undefined;
  private readonly hubs = new Map<string, SubscriptionHub>();
  private readonly pool: UpstreamPool;

  constructor(private readonly options: SubscriptionRouterOptions) {
    this.pool = new UpstreamPool({ connectTimeoutMs: options.upstreamConnectTimeoutMs, keepAliveMs: options.upstreamKeepAliveMs, logger: options.logger });
  }

  /** The planner of the current supergraph, or undefined before the first load. */
  get planner(): SupergraphPlanner | undefined {
    return this.current;
  }

  /** Counts for health and tests: shared upstream subscriptions and client subscriptions on them. */
  stats(): { upstreams: number; subscribers: number; upstreamSockets: number } {
    let subscribers = 0;
    for (const hub of this.hubs.values()) subscribers += hub.size;
    return { upstreams: this.hubs.size, subscribers, upstreamSockets: this.pool.size };
  }

  /**
   * Loads a new supergraph (first load or hot reload) and re-plans every running subscription.
   * @throws Error when the SDL is not a valid supergraph (the current one stays).
   */
  updateSupergraph(supergraphSdl: string): void {
    const next = new SupergraphPlanner(supergraphSdl, this.options.fetcher);
    this.current = next;
    let kept = 0;
    let ended = 0;
    for (const hub of [...this.hubs.values()]) {
      const old = hub.operation;
      let plan;
      try {
        plan = next.planSubscription(old.document, old.operationName);
      } catch {
        plan = undefined;
      }
      if (plan && plan.planKey === old.plan.planKey) {
        hub.operation = { ...old, plan };
        kept++;
      } else {
        ended++;
        hub.terminate(new GraphQLError('The supergraph changed and this subscription no longer has the same plan; resubscribe.', { extensions: { code: 'SUBSCRIPTION_SCHEMA_RELOAD' } }));
      }
    }
    if (kept + ended > 0) this.options.logger.info({ kept, ended }, 'subscriptions re-planned after supergraph reload');
  }

  /**
   * Plans a validated subscription operation on the current supergraph.
   * @param variables - coerced variable values.
   * @throws GraphQLError `SUPERGRAPH_NOT_READY` before the first load, `GRAPHQL_VALIDATION_FAILED` when it cannot be planned.
   */
  prepare(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): EventOperation {
    const planner = this.current;
    if (!planner) throw new GraphQLError('The gateway has not loaded a supergraph yet; retry shortly.', { extensions: { code: 'SUPERGRAPH_NOT_READY' } });
    return { document, operationName, variables, plan: planner.planSubscription(document, operationName) };
  }

  /**
   * Starts one client subscription: joins the hub of an identical running subscription (same document,
   * variables and scope) or opens a new upstream.
   *
   * @param onFinish - runs once when this client subscription ends for any reason.
   * @param write - fast path: writes one serialised `next` payload to the client (see {@link EventStream}).
   * @returns the stream the graphql-ws server iterates.
   */
  subscribe(operation: EventOperation, scope: SubscriberScope, onFinish: () => void, write?: (payloadJson: string) => boolean): EventStream {
    const key = sharingKey(operation, scope.key);
    let hub = this.hubs.get(key);
    const stream = new EventStream(
      this.options.maxQueuedEvents,
      () => {
        hub?.remove(stream);
        onFinish();
      },
      () => new GraphQLError('The client is not reading its events fast enough; the subscription was ended. Resubscribe.', { extensions: { code: 'SUBSCRIPTION_OVERFLOW' } }),
      write,
    );
    if (!hub) {
      const created = new SubscriptionHub(key, operation, scope.key, scope.connectionParams, {
        pool: this.pool,
        planner: () => this.current as SupergraphPlanner,
        maxPendingEvents: this.options.maxQueuedEvents,
        logger: this.options.logger,
        onClose: (closedHub) => {
          if (this.hubs.get(closedHub.key) === closedHub) this.hubs.delete(closedHub.key);
        },
      });
      this.hubs.set(key, created);
      hub = created;
      hub.add(stream);
      hub.start();
    } else {
      hub.add(stream);
    }
    return stream;
  }

  /** Completes every subscription (one `complete` each) and closes the upstream sockets. */
  async close(): Promise<void> {
    for (const hub of [...this.hubs.values()]) hub.terminate(new GraphQLError('The gateway is shutting down.', { extensions: { code: 'SUBSCRIPTION_UPSTREAM_ERROR', reason: 'shutdown' } }));
    await this.pool.close();
  }
}

/** @returns a stable hash of the normalised document, operation name, variables and scope. */
function sharingKey(operation: EventOperation, scope: string): string {
  return createHash('sha256').update(JSON.stringify([operation.document.loc?.source.body ?? print(operation.document), operation.operationName ?? null, canonical(operation.variables), scope])).digest('hex');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}
