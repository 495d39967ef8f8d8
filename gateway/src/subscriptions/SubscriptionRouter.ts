import { createHash } from 'node:crypto';
import { roamError } from '@roam/errors';
import type { Logger } from 'pino';
import type { ExecutableOperation, RoamExecutor } from '../executor/RoamExecutor';
import type { SubscriptionPlan, SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import type { UpstreamPool } from '../upstream/UpstreamPool';
import type { EventPayload } from './EventPayload';
import { EventStream } from './EventStream';
import { SubscriptionHub } from './SubscriptionHub';

/** A client subscription ready to start: the prepared operation and its plan on the current supergraph. */
export interface EventOperation {
  readonly op: ExecutableOperation;
  readonly plan: SubscriptionPlan;
}

/** Settings of {@link SubscriptionRouter}. */
export interface SubscriptionRouterOptions {
  /** The upstream layer's graphql-ws pool (primary fetches). */
  readonly pool: UpstreamPool;
  /** Runs the rest of the plan for every event (entity enrichment): the one executor. */
  readonly executor: RoamExecutor;
  /** Bound of undelivered events per client subscription, in events. */
  readonly maxQueuedEvents: number;
  /** Recent events each shared subscription keeps for resume onto it, in events (`SUBSCRIPTION_RESUME_BUFFER`). @default 256 */
  readonly resumeBuffer?: number;
  /** How long a shared subscription with resumable events outlives its last subscriber, in ms (`SUBSCRIPTION_RESUME_LINGER_MS`). @default 0 */
  readonly resumeLingerMs?: number;
  /** Told each resume's outcome (metrics; see {@link ResumeOutcome}); must not throw. @default none */
  readonly onResume?: (outcome: ResumeOutcome) => void;
  readonly logger: Logger;
}

/**
 * What became of one resume (`extensions.lastEventId`): `memory` (a running shared subscription had the event and
 * sent the ones after it), `subgraph` (the owning subgraph was asked to replay after it), or a refusal: `gap`
 * (`SUBSCRIPTION_RESUME_GAP`), `invalid` (`SUBSCRIPTION_RESUME_INVALID`, malformed ids included), `unsupported`.
 * A replay the subgraph refuses counts as `subgraph` and again as its refusal.
 */
export type ResumeOutcome = 'memory' | 'subgraph' | 'gap' | 'invalid' | 'unsupported';

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
  private current: SupergraphSnapshot | undefined;
  private readonly hubs = new Map<string, SubscriptionHub>();
  /** Hubs opened to resume after an id the running hubs could not serve, by sharing key. */
  private readonly resuming = new Map<string, Set<SubscriptionHub>>();

  constructor(private readonly options: SubscriptionRouterOptions) {}

  /** The current supergraph snapshot, or undefined before the first load. */
  get snapshot(): SupergraphSnapshot | undefined {
    return this.current;
  }

  /** Counts for health and tests: shared upstream subscriptions and client subscriptions on them. */
  stats(): { upstreams: number; subscribers: number; upstreamSockets: number } {
    let subscribers = 0;
    let upstreams = this.hubs.size;
    for (const hub of this.hubs.values()) subscribers += hub.size;
    for (const set of this.resuming.values()) {
      upstreams += set.size;
      for (const hub of set) subscribers += hub.size;
    }
    return { upstreams, subscribers, upstreamSockets: this.options.pool.size };
  }

  /** Installs a new supergraph snapshot (first load or hot reload) and re-plans every running subscription. */
  updateSupergraph(next: SupergraphSnapshot): void {
    this.current = next;
    let kept = 0;
    let ended = 0;
    for (const hub of [...this.hubs.values(), ...[...this.resuming.values()].flatMap((set) => [...set])]) {
      const old = hub.operation;
      let plan;
      try {
        plan = next.planSubscription(old.op.document, old.op.operationName, old.op.documentHash);
      } catch {
        plan = undefined;
      }
      if (plan && plan.planKey === old.plan.planKey) {
        hub.operation = { ...old, plan };
        kept++;
      } else {
        ended++;
        hub.terminate(roamError('SUBSCRIPTION_SCHEMA_RELOAD', 'The supergraph changed and this subscription no longer has the same plan; resubscribe.'));
      }
    }
    if (kept + ended > 0) this.options.logger.info({ kept, ended }, 'subscriptions re-planned after supergraph reload');
  }

  /**
   * Starts one client subscription: joins the hub of an identical running subscription (same document,
   * variables and scope) or opens a new upstream.
   *
   * @param onFinish - runs once when this client subscription ends for any reason.
   * Resume (`lastEventId`, the client's `extensions.lastEventId`, already checked for shape): the subscriber
   * joins a running hub of the same key that delivered that event recently (it first gets the events after
   * it from the hub's memory), or else a hub that asks the owning subgraph to replay after that id (shared by
   * subscribers resuming from the same id before its first event). Every event after `lastEventId` arrives
   * once, in order, then live events; the subgraph refuses ids past retention (`SUBSCRIPTION_RESUME_GAP`) or
   * not of this stream (`SUBSCRIPTION_RESUME_INVALID`). Any transport (graphql-ws, multipart) resumes by
   * passing the id here.
   *
   * @param write - fast path: writes one serialised `next` payload to the client (see {@link EventStream}).
   * @param lastEventId - resume after this event id. @default live only
   * @returns the stream the graphql-ws server iterates.
   */
  subscribe(operation: EventOperation, scope: SubscriberScope, onFinish: () => void, write?: (payload: EventPayload) => boolean, lastEventId?: string): EventStream {
    const key = sharingKey(operation, scope.key);
    if (lastEventId !== undefined) return this.resume(operation, scope, key, lastEventId, onFinish, write);
    let hub = this.hubs.get(key);
    const stream = this.newStream(() => hub, onFinish, write);
    if (!hub) {
      const created = this.createHub(key, operation, scope);
      this.hubs.set(key, created);
      hub = created;
      hub.add(stream);
      hub.start();
    } else {
      hub.add(stream);
    }
    return stream;
  }

  private resume(operation: EventOperation, scope: SubscriberScope, key: string, lastEventId: string, onFinish: () => void, write?: (payload: EventPayload) => boolean): EventStream {
    let joined: SubscriptionHub | undefined;
    const stream = this.newStream(() => joined, onFinish, write);
    const candidates = [this.hubs.get(key), ...(this.resuming.get(key) ?? [])];
    joined = candidates.find((hub) => hub !== undefined && hub.attach(stream, lastEventId));
    if (joined) {
      // joining a hub that resumes from this very id (nothing delivered yet) shares its replay by the subgraph
      this.options.onResume?.(joined.resumeFrom === lastEventId ? 'subgraph' : 'memory');
      return stream;
    }
    this.options.onResume?.('subgraph');
    const created = this.createHub(key, operation, scope, lastEventId);
    let set = this.resuming.get(key);
    if (!set) this.resuming.set(key, (set = new Set()));
    set.add(created);
    joined = created;
    created.add(stream);
    created.start();
    return stream;
  }

  private newStream(hub: () => SubscriptionHub | undefined, onFinish: () => void, write?: (payload: EventPayload) => boolean): EventStream {
    const stream: EventStream = new EventStream(
      this.options.maxQueuedEvents,
      () => {
        hub()?.remove(stream);
        onFinish();
      },
      () => roamError('SUBSCRIPTION_OVERFLOW', 'The client is not reading its events fast enough; the subscription was ended. Resubscribe.'),
      write,
    );
    return stream;
  }

  private createHub(key: string, operation: EventOperation, scope: SubscriberScope, resumeFrom?: string): SubscriptionHub {
    return new SubscriptionHub(
      key,
      operation,
      scope.key,
      scope.connectionParams,
      {
        pool: this.options.pool,
        executor: this.options.executor,
        snapshot: () => this.current as SupergraphSnapshot,
        maxPendingEvents: this.options.maxQueuedEvents,
        resumeBuffer: this.options.resumeBuffer ?? 256,
        lingerMs: this.options.resumeLingerMs ?? 0,
        logger: this.options.logger,
        ...(this.options.onResume
          ? {
              onResumeRefused: (outcome: ResumeOutcome, subscribers: number) => {
                for (let i = 0; i < subscribers; i++) this.options.onResume?.(outcome);
              },
            }
          : {}),
        onClose: (closedHub) => {
          if (this.hubs.get(closedHub.key) === closedHub) this.hubs.delete(closedHub.key);
          const set = this.resuming.get(closedHub.key);
          if (set?.delete(closedHub) && set.size === 0) this.resuming.delete(closedHub.key);
        },
      },
      resumeFrom,
    );
  }

  /** Reports a resume refused before it reached the router: a malformed `lastEventId` (`invalid`). */
  resumeRefused(outcome: ResumeOutcome): void {
    this.options.onResume?.(outcome);
  }

  /** Ends every subscription (one `error` each, `reason: shutdown`); the upstream layer closes the sockets. */
  async close(): Promise<void> {
    for (const hub of [...this.hubs.values(), ...[...this.resuming.values()].flatMap((set) => [...set])])
      hub.terminate(roamError('SUBSCRIPTION_UPSTREAM_ERROR', 'The gateway is shutting down.', { reason: 'shutdown' }));
  }
}

/** @returns a stable hash of the normalised document, operation name, variables and scope. */
function sharingKey(operation: EventOperation, scope: string): string {
  return createHash('sha256')
    .update(JSON.stringify([operation.op.documentHash, operation.op.operationName ?? null, canonical(operation.op.coercedVariables), scope]))
    .digest('hex');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
