import { downstreamError, roamError, type ErrorCode } from '@roam/errors';
import { EVENT_ID_EXTENSION, LAST_EVENT_ID_EXTENSION } from '@roam/redis';
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { RoamExecutor } from '../executor/RoamExecutor';
import type { SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import type { UpstreamEvent, UpstreamPool } from '../upstream/UpstreamPool';
import { setOwnKey } from '../executor/setOwnKey';
import { EventPayload } from './EventPayload';
import type { EventStream } from './EventStream';
import { formatResult } from './formatResult';
import type { EventOperation } from './SubscriptionRouter';

/** Codes a subgraph answers a refused resume with; they end the subscription instead of travelling as an event. */
const RESUME_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SUBSCRIPTION_RESUME_GAP', 'SUBSCRIPTION_RESUME_INVALID', 'SUBSCRIPTION_RESUME_UNSUPPORTED']);

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
  /** How long a hub with resumable events stays open after its last subscriber left, in ms, so clients reconnecting meanwhile resume from its memory. 0 = close at once. */
  readonly lingerMs: number;
  /** Events each hub keeps in memory (id and serialised payload) so a subscriber can resume onto it without a new upstream. */
  readonly resumeBuffer: number;
  /** Told the subgraph refused this hub's resume (`gap`, `invalid`, `unsupported`), with the subscribers it ends. @default none */
  onResumeRefused?(outcome: 'gap' | 'invalid' | 'unsupported', subscribers: number): void;
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
 * Resume: an upstream event that carries `extensions.eventId` (its id in the subgraph's event stream) is
 * delivered with the same `extensions.eventId`, and the hub keeps the last `resumeBuffer` delivered events.
 * A hub opened with `resumeFrom` asks the subgraph to replay after that id (`extensions.lastEventId` on the
 * upstream subscribe). {@link attach} lets a resuming subscriber join a running hub when the hub can serve
 * exactly the events after its last id. With `lingerMs`, a hub whose last subscriber left stays open that long
 * (still receiving and remembering events) so that clients reconnecting meanwhile resume from its memory.
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
  /** The last delivered events that carried an id, oldest first (at most `resumeBuffer`). */
  private readonly recent: { readonly id: string; readonly result: ExecutionResult; readonly json: string }[] = [];
  private delivered = 0;
  /** The upstream was re-opened after a drop and replays the missed events (see `UpstreamSink.resumed`). */
  private replaying = false;
  private lingering: NodeJS.Timeout | undefined;

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
    /** Event id after which the upstream replays (a resume the running hubs could not serve); undefined = live. */
    readonly resumeFrom?: string,
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
    for (const name of primary.variableUsages ?? []) if (Object.prototype.hasOwnProperty.call(sent, name)) setOwnKey(variables, name, sent[name]);
    this.closeUpstream = this.context.pool.subscribe(
      primary.serviceName,
      primaryUrl,
      this.scope,
      this.connectionParams,
      {
        query: primary.operation,
        variables,
        operationName: primary.operationName,
        ...(this.resumeFrom !== undefined ? { extensions: { [LAST_EVENT_ID_EXTENSION]: this.resumeFrom } } : {}),
      },
      {
        next: (event) => this.onEvent(event),
        error: (error) => this.enqueue(() => this.terminate(error)),
        complete: () => this.enqueue(() => this.finish()),
        // The upstream was re-opened without a resume position: one `next` with the error tells subscribers to refetch.
        gap: (error) => this.enqueue(() => this.notify(error)),
        // The upstream was re-opened and replays what it missed: that burst gets a resuming hub's bound.
        resumed: () => (this.replaying = true),
      },
    );
  }

  /** Adds a subscriber; it receives events that arrive from now on. */
  add(stream: EventStream): void {
    this.stopLingering();
    this.subscribers.add(stream);
  }

  /**
   * Adds a subscriber that already received the events up to `lastEventId`, when this hub can give it exactly
   * the events after it: `lastEventId` is one of the recent events it delivered (those after it are pushed to
   * the stream now, in order), or the hub resumes from that very id and has delivered nothing yet.
   * @returns whether the subscriber was added (false: the caller opens a resuming hub instead).
   */
  attach(stream: EventStream, lastEventId: string): boolean {
    if (this.closed) return false;
    if (this.resumeFrom === lastEventId && this.delivered === 0) {
      this.add(stream);
      return true;
    }
    const at = this.recent.findIndex((e) => e.id === lastEventId);
    if (at < 0) return false;
    for (const e of this.recent.slice(at + 1)) stream.push(e.result, () => new EventPayload(e.json));
    this.add(stream);
    return true;
  }

  /** Removes a subscriber; the last one out closes the upstream. */
  remove(stream: EventStream): void {
    this.subscribers.delete(stream);
    if (this.subscribers.size > 0 || this.closed) return;
    // keep the upstream (and the recent events) a little while for clients that reconnect to resume
    if (this.context.lingerMs > 0 && this.recent.length > 0) {
      this.stopLingering();
      this.lingering = setTimeout(() => {
        if (this.subscribers.size === 0) this.close();
      }, this.context.lingerMs);
      this.lingering.unref();
    } else this.close();
  }

  private stopLingering(): void {
    clearTimeout(this.lingering);
    this.lingering = undefined;
  }

  /** Ends every subscriber with `error` and closes the upstream. */
  terminate(error: GraphQLError): void {
    for (const s of [...this.subscribers]) s.fail(error);
    this.close();
  }

  /** Pushes one non-terminal result carrying only `error` to every subscriber (not kept for resume). */
  private notify(error: GraphQLError): void {
    const result: ExecutionResult = { data: null, errors: [error] };
    let payload: EventPayload | undefined;
    for (const s of this.subscribers) s.push(result, () => (payload ??= new EventPayload(JSON.stringify(formatResult(result)))));
  }

  private finish(): void {
    for (const s of [...this.subscribers]) s.end();
    this.close();
  }

  private onEvent(event: UpstreamEvent): void {
    if (this.closed) return;
    // a resuming hub starts with the replay burst (bounded by the subgraph's retention): it may hold ten times more
    const bound = this.resumeFrom === undefined && !this.replaying ? this.context.maxPendingEvents : this.context.maxPendingEvents * 10;
    if (this.pending >= bound) {
      this.terminate(roamError('SUBSCRIPTION_OVERFLOW', `More than ${bound} events were waiting for enrichment; the subscription was ended. Resubscribe.`));
      return;
    }
    // A subgraph refuses a resume at source-stream creation: one result with only errors, then `complete`
    // (graphql-transport-ws "Subscribe"); the client gets it as its one terminal `error`.
    const refusal = event.data == null ? event.errors?.find((e) => RESUME_REFUSALS.has(e.extensions?.code as ErrorCode)) : undefined;
    if (refusal) {
      const code = refusal.extensions?.code;
      this.context.onResumeRefused?.(code === 'SUBSCRIPTION_RESUME_GAP' ? 'gap' : code === 'SUBSCRIPTION_RESUME_INVALID' ? 'invalid' : 'unsupported', this.subscribers.size);
      this.enqueue(() => this.terminate(downstreamError(this.operation.plan.primary.serviceName, refusal.message, refusal.extensions)));
      return;
    }
    this.pending++;
    // Enrichment starts at once (events overlap their subgraph round trips); delivery stays in arrival order.
    const { op, plan } = this.operation;
    const eventId = event.extensions?.[EVENT_ID_EXTENSION];
    const extensions = typeof eventId === 'string' ? { extensions: { [EVENT_ID_EXTENSION]: eventId } } : {};
    const enriched = this.context.executor.executeEvent(this.context.snapshot(), op, plan, event).then(
      (execution): ExecutionResult => (execution.errors.length > 0 ? { data: execution.data, errors: [...execution.errors], ...extensions } : { data: execution.data, ...extensions }),
      (error: unknown) => {
        this.context.logger.error({ err: (error as Error).message }, 'subscription event enrichment failed');
        return { data: null, errors: [roamError('INTERNAL_SERVER_ERROR', 'The event could not be processed.')], ...extensions };
      },
    );
    this.enqueue(async () => {
      try {
        const result = await enriched;
        // serialised (and encoded) once for every subscriber; each write is one loop step, no promise or timer
        let shared: EventPayload | undefined;
        const payload = (): EventPayload => (shared ??= new EventPayload(JSON.stringify(formatResult(result))));
        for (const s of this.subscribers) s.push(result, payload);
        this.delivered++;
        if (typeof eventId === 'string' && this.context.resumeBuffer > 0) {
          // the JSON text only: the encoded bytes are dropped with the event (memory per hub stays one copy per kept event)
          this.recent.push({ id: eventId, result, json: payload().json });
          if (this.recent.length > this.context.resumeBuffer) this.recent.shift();
        }
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
    this.stopLingering();
    this.closeUpstream?.();
    this.context.onClose(this);
  }
}
