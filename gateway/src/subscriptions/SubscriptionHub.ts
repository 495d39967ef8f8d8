import { roamError } from '@roam/errors';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { RoamExecutor } from '../executor/RoamExecutor';
import type { SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import type { UpstreamEvent, UpstreamPool } from '../upstream/UpstreamPool';
import type { EventStream } from './EventStream';
import { formatResult } from './formatResult';
import type { EventOperation } from './SubscriptionRouter';

/** What a hub needs from its owner. */
export interface HubContext {
  readonly pool: UpstreamPool;
  /** The one executor: runs the rest of the plan per event. */
  readonly executor: RoamExecutor;
  /** The current supergraph snapshot (swapped on reload). */
  snapshot(): SupergraphSnapshot;
  /** Most events waiting for enrichment before the hub gives up with `SUBSCRIPTION_OVERFLOW`. */
  readonly maxPendingEvents: number;
  readonly logger: Logger;
  /** Called once when the hub closes, so the owner forgets it. */
  onClose(hub: SubscriptionHub): void;
}

/**
 * One shared upstream subscription and its subscribers: every client subscription with the same
 * document, variables and authorization scope joins the same hub, so N clients cost one subgraph
 * subscription and one enrichment per event. Enrichments of successive events run concurrently (at most
 * `maxPendingEvents`), results are delivered in arrival order, and the same result (serialised once) is
 * pushed to every subscriber. The upstream closes when the last subscriber leaves.
 *
 * Terminal upstream outcomes reach each subscriber once: a failure as one `error`
 * (`SUBSCRIPTION_UPSTREAM_ERROR`, or the subgraph's own error), a completion as one `complete`.
 */
export class SubscriptionHub {
  private readonly subscribers = new Set<EventStream>();
  private closeUpstream: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private closed = false;

  /**
   * @param key - sharing key (document, variables, scope).
   * @param operation - the planned client operation; replaced when a reload keeps the plan.
   * @param scope - authorization scope key.
   * @param connectionParams - `connection_init` payload forwarded to the subgraph.
   */
  constructor(
    readonly key: string,
    public operation: EventOperation,
    private readonly scope: string,
    private readonly connectionParams: Record<string, unknown>,
    private readonly context: HubContext,
  ) {}

  /** Number of client subscriptions on this hub. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Opens the upstream subscription on the owning subgraph. */
  start(): void {
    const { primary, primaryUrl } = this.operation.plan;
    const variables: Record<string, unknown> = {};
    const sent = this.operation.op.coercedVariables;
    for (const name of primary.variableUsages ?? []) if (name in sent) variables[name] = sent[name];
    this.closeUpstream = this.context.pool.subscribe(
      primary.serviceName,
      primaryUrl,
      this.scope,
      this.connectionParams,
      { query: primary.operation, variables, operationName: primary.operationName },
      {
        next: (event) => this.onEvent(event),
        error: (error) => this.enqueue(() => this.terminate(error)),
        complete: () => this.enqueue(() => this.finish()),
      },
    );
  }

  /** Adds a subscriber; it receives events that arrive from now on. */
  add(stream: EventStream): void {
    this.subscribers.add(stream);
  }

  /** Removes a subscriber; the last one out closes the upstream. */
  remove(stream: EventStream): void {
    this.subscribers.delete(stream);
    if (this.subscribers.size === 0) this.close();
  }

  /** Ends every subscriber with `error` and closes the upstream. */
  terminate(error: GraphQLError): void {
    for (const s of [...this.subscribers]) s.fail(error);
    this.close();
  }

  private finish(): void {
    for (const s of [...this.subscribers]) s.end();
    this.close();
  }

  private onEvent(event: UpstreamEvent): void {
    if (this.closed) return;
    if (this.pending >= this.context.maxPendingEvents) {
      this.terminate(roamError('SUBSCRIPTION_OVERFLOW', `More than ${this.context.maxPendingEvents} events were waiting for enrichment; the subscription was ended. Resubscribe.`));
      return;
    }
    this.pending++;
    // Enrichment starts at once (events overlap their subgraph round trips); delivery stays in arrival order.
    const { op, plan } = this.operation;
    const enriched = this.context.executor.executeEvent(this.context.snapshot(), op, plan, event).then(
      (execution) => (execution.errors.length > 0 ? { data: execution.data, errors: [...execution.errors] } : { data: execution.data }),
      (error: unknown) => {
        this.context.logger.error({ err: (error as Error).message }, 'subscription event enrichment failed');
        return { data: null, errors: [roamError('INTERNAL_SERVER_ERROR', 'The event could not be processed.')] };
      },
    );
    this.enqueue(async () => {
      try {
        const result = await enriched;
        let json: string | undefined;
        const payloadJson = (): string => (json ??= JSON.stringify(formatResult(result)));
        for (const s of this.subscribers) s.push(result, payloadJson);
      } finally {
        this.pending--;
      }
    });
  }

  private enqueue(task: () => void | Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (!this.closed) await task();
    });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeUpstream?.();
    this.context.onClose(this);
  }
}
