import { CODE, roamError, type RoamError } from '@roam/errors';
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { OperationPipeline, PreparedOperation } from '../pipeline/OperationPipeline';
import type { RequestInfo } from '../pipeline/types';
import type { EventStream } from '../subscriptions/EventStream';
import type { SubscriptionRouter } from '../subscriptions/SubscriptionRouter';
import type { PushDispatcher } from './PushDispatcher';
import { pushData } from './pushPayload';
import { registrationIdOf, subscriptionSpecOf, type AppState, type PushRegistration, type PushSubscriptionSpec, type RegistrationRequest } from './PushRegistration';
import type { RegistrationStore } from './RegistrationStore';

/** What {@link PushBridge} needs. */
export interface PushBridgeOptions {
  /** The gateway's own pipeline: persisted queries, limits and validation apply to every bridged subscription. */
  readonly pipeline: OperationPipeline;
  readonly router: SubscriptionRouter;
  readonly store: RegistrationStore;
  readonly dispatcher: PushDispatcher;
  /** An event whose JSON is at most this many bytes travels inside the push. */
  readonly inlineEventMaxBytes: number;
  /** First delay before restarting a subscription that ended (upstream error, reload), in ms; doubles to 30 s. @default 1000 */
  readonly restartDelayMs?: number;
  readonly logger: Logger;
}

/** Refusals meaning the persisted document is gone for good (revoked, never registered, persisted queries off). */
const GONE: ReadonlySet<string> = new Set([CODE.PERSISTED_QUERY_NOT_IN_LIST, CODE.PERSISTED_QUERY_NOT_FOUND, CODE.QUERY_NOT_IN_SAFELIST, CODE.PERSISTED_QUERY_NOT_SUPPORTED]);

interface Running {
  readonly spec: PushSubscriptionSpec;
  stream: EventStream | undefined;
  stopped: boolean;
  restartMs: number;
}

/**
 * The push bridge (issue 17 item 4): one server-side subscription per distinct (persisted document, operation
 * name, variables, client name), prepared by the gateway's own {@link OperationPipeline} exactly as a graphql-ws
 * `subscribe` is (persisted-query lookup and safelist, document and operation limits, validation, variable
 * coercion) and run on the {@link SubscriptionRouter} (so it shares upstreams with WebSocket clients of the same
 * operation). Each event goes, as a background push, to the registrations of that subscription that have no live
 * WebSocket or said they are backgrounded; never to another subscription's devices.
 *
 * A revoked persisted document ends its subscription and removes its registrations; a subscription that ends
 * otherwise (subgraph gone, supergraph reload) is prepared again with backoff.
 */
export class PushBridge {
  private readonly running = new Map<string, Running>();
  private closed = false;

  constructor(private readonly options: PushBridgeOptions) {}

  /** Server-side subscriptions running (or restarting). */
  get subscriptionCount(): number {
    return this.running.size;
  }

  /**
   * Validates and stores a registration, starting its server-side subscription when it is the first.
   * @returns the registration and whether it is new, or the refusal: the pipeline's (e.g. 404
   *   `PERSISTED_QUERY_NOT_IN_LIST`, `BAD_USER_INPUT` for variables) or 400 `PUSH_NOT_A_SUBSCRIPTION`.
   * @throws RedisUnavailableError when the store does not answer.
   */
  async register(request: RegistrationRequest, now = Date.now()): Promise<{ registration: PushRegistration; created: boolean } | { refused: readonly GraphQLError[] }> {
    const spec = subscriptionSpecOf(request);
    const prepared = await this.prepare(spec);
    if ('refused' in prepared) return prepared;
    const registration: PushRegistration = {
      id: registrationIdOf(request.platform, request.token, spec.key),
      platform: request.platform,
      token: request.token,
      documentId: spec.documentId,
      operationName: spec.operationName,
      variables: spec.variables,
      clientName: spec.clientName,
      subscriptionKey: spec.key,
      state: request.state,
      lastEventId: undefined,
      createdAt: now,
    };
    const put = await this.options.store.put(registration);
    this.ensure(spec, prepared);
    return put;
  }

  /** @returns the registration, after a state change. @throws RedisUnavailableError. */
  setState(id: string, state: AppState): Promise<PushRegistration | undefined> {
    return this.options.store.setState(id, state);
  }

  /** Starts a subscription for every one in the store (at start, and to pick up other replicas' registrations). Never throws. */
  async resume(): Promise<void> {
    let specs: PushSubscriptionSpec[];
    try {
      specs = await this.options.store.subscriptions();
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'push: registrations not loaded; retrying later');
      return;
    }
    await Promise.all(specs.filter((s) => !this.running.has(s.key)).map((spec) => this.start(spec)));
  }

  /**
   * A persisted-query revocation (from the persisted-query store's `onRevoke`): every subscription of those
   * documents is prepared again, and the ones now refused as unknown are stopped and their registrations removed.
   */
  async revoked(ids: readonly string[] | 'all'): Promise<void> {
    const hit = [...this.running.values()].filter((r) => ids === 'all' || ids.includes(r.spec.documentId.replace(/^sha256:/, '')));
    for (const run of hit) {
      const prepared = await this.prepare(run.spec);
      if ('refused' in prepared && GONE.has(String(prepared.refused[0]?.extensions.code))) await this.retire(run, prepared.refused[0]!);
    }
  }

  /** A subscription with no registration left stops (after a DELETE or a dead token). */
  async forgetIfEmpty(subscriptionKey: string): Promise<void> {
    const run = this.running.get(subscriptionKey);
    if (!run) return;
    const left = await this.options.store.bySubscription(subscriptionKey).catch(() => undefined);
    if (left && left.length === 0) this.stop(run);
  }

  /** Stops every subscription. */
  close(): void {
    this.closed = true;
    for (const run of [...this.running.values()]) this.stop(run);
  }

  private prepare(spec: PushSubscriptionSpec): Promise<PreparedOperation | { refused: readonly GraphQLError[] }> {
    return this.options.pipeline
      .prepare({ documentId: spec.documentId, ...(spec.operationName ? { operationName: spec.operationName } : {}), variables: spec.variables }, requestOf(spec))
      .then((prepared) => {
        if ('refused' in prepared) return { refused: prepared.refused };
        if (prepared.op.operation.operation !== 'subscription') {
          return { refused: [roamError('PUSH_NOT_A_SUBSCRIPTION', `Persisted document '${spec.documentId}' is a ${prepared.op.operation.operation}; only subscriptions can be bridged to pushes.`)] };
        }
        return prepared;
      });
  }

  private async start(spec: PushSubscriptionSpec): Promise<void> {
    const prepared = await this.prepare(spec).catch((error: Error) => ({ refused: [roamError('INTERNAL_SERVER_ERROR', error.message)] }));
    if ('refused' in prepared) {
      const error = prepared.refused[0]!;
      if (GONE.has(String(error.extensions.code))) {
        const run: Running = { spec, stream: undefined, stopped: false, restartMs: 0 };
        this.running.set(spec.key, run);
        await this.retire(run, error);
      } else this.options.logger.warn({ subscription: spec.key, code: error.extensions.code, message: error.message }, 'push: subscription not started');
      return;
    }
    this.ensure(spec, prepared);
  }

  private ensure(spec: PushSubscriptionSpec, prepared: PreparedOperation): void {
    if (this.closed || this.running.has(spec.key)) return;
    const run: Running = { spec, stream: undefined, stopped: false, restartMs: this.options.restartDelayMs ?? 1000 };
    this.running.set(spec.key, run);
    this.consume(run, prepared);
  }

  private consume(run: Running, { ctx, op }: PreparedOperation): void {
    const plan = ctx.snapshot.planSubscription(op.document, op.operationName, op.documentHash);
    const stream = this.options.router.subscribe({ op, plan }, { key: 'anonymous', connectionParams: {} }, () => undefined);
    run.stream = stream;
    void (async () => {
      let ended: unknown;
      try {
        for await (const result of stream) this.fanOut(run.spec, result);
      } catch (error) {
        ended = error;
      }
      if (run.stopped || this.closed) return;
      this.options.logger.warn({ subscription: run.spec.key, err: (ended as Error | undefined)?.message }, 'push: server-side subscription ended; restarting');
      setTimeout(() => void this.restart(run), run.restartMs).unref();
      run.restartMs = Math.min(run.restartMs * 2, 30_000);
    })();
  }

  private async restart(run: Running): Promise<void> {
    if (run.stopped || this.closed) return;
    const prepared = await this.prepare(run.spec).catch(() => undefined);
    if (prepared && 'refused' in prepared) {
      if (GONE.has(String(prepared.refused[0]?.extensions.code))) return this.retire(run, prepared.refused[0]!);
    }
    if (!prepared || 'refused' in prepared) {
      setTimeout(() => void this.restart(run), run.restartMs).unref();
      run.restartMs = Math.min(run.restartMs * 2, 30_000);
      return;
    }
    this.consume(run, prepared);
  }

  private fanOut(spec: PushSubscriptionSpec, result: ExecutionResult): void {
    void (async () => {
      const registrations = await this.options.store.bySubscription(spec.key);
      if (registrations.length === 0) return;
      const live = await this.options.store.liveAmong(registrations.map((r) => r.id));
      const eventId = eventIdOf(result);
      for (const registration of registrations) {
        if (live.has(registration.id) && registration.state !== 'background') continue;
        const message = { token: registration.token, collapseId: `roam:${spec.key}`, data: pushData(registration, result, eventId, this.options.inlineEventMaxBytes) };
        void this.options.dispatcher.deliver(registration, message, eventId).then((outcome) => {
          if (outcome.kind === 'unregistered') void this.forgetIfEmpty(spec.key);
        });
      }
    })().catch((error: Error) => this.options.logger.warn({ subscription: spec.key, err: error.message }, 'push: event not pushed (registrations unavailable)'));
  }

  private async retire(run: Running, reason: GraphQLError | RoamError): Promise<void> {
    this.stop(run);
    const removed = await this.options.store.deleteSubscription(run.spec.key).catch(() => [] as string[]);
    this.options.logger.warn(
      { documentId: run.spec.documentId, code: reason.extensions.code, removed: removed.length },
      'push: persisted subscription no longer available; its registrations were removed',
    );
  }

  private stop(run: Running): void {
    run.stopped = true;
    if (this.running.get(run.spec.key) === run) this.running.delete(run.spec.key);
    void run.stream?.return();
  }
}

/** The request a bridged subscription stands for: a `ws` POST with the registration's client name. */
function requestOf(spec: PushSubscriptionSpec): RequestInfo {
  const headers = new Map<string, string>();
  if (spec.clientName !== undefined) headers.set('apollographql-client-name', spec.clientName);
  return { transport: 'ws', method: 'POST', headers, clientName: spec.clientName, clientVersion: undefined, inBatch: false };
}

/**
 * The id of a delivered event: `extensions.eventId` (the durable-stream id the WebSocket path sends for resume),
 * else `extensions.event.id`; undefined while events carry none.
 */
export function eventIdOf(result: ExecutionResult): string | undefined {
  const extensions = result.extensions as { eventId?: unknown; event?: { id?: unknown } } | undefined;
  const id = extensions?.eventId ?? extensions?.event?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
