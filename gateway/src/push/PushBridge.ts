import { randomUUID } from 'node:crypto';
import { CODE, roamError, type RoamError } from '@roam/errors';
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { OperationPipeline, PreparedOperation } from '../pipeline/OperationPipeline';
import type { RequestInfo } from '../pipeline/types';
import type { EventStream } from '../subscriptions/EventStream';
import type { SubscriptionRouter } from '../subscriptions/SubscriptionRouter';
import type { PushDispatcher } from './PushDispatcher';
import { pushData } from './pushPayload';
import { ownerOf, registrationIdOf, subscriptionSpecOf, type AppState, type PushRegistration, type PushSubscriptionSpec, type RegistrationRequest } from './PushRegistration';
import type { RegistrationStore } from './RegistrationStore';

/** Who registers (README "Security"): recorded on the registration, and the caps' check. */
export interface RegisteringCaller {
  /** The verified `sub`, with `AUTH_MODE` on and a token; the registration then belongs to it. @default none (anonymous) */
  readonly subject?: string;
  /** The verified `iss`, when the token had one. */
  readonly issuer?: string;
  /**
   * Asked before a new registration (not one registered again) is stored, with the registration to store:
   * a refusal (e.g. `PUSH_REGISTRATION_LIMIT`) is returned as `refused` and nothing is stored. @default everything admitted
   */
  readonly admit?: (registration: PushRegistration) => Promise<RoamError | undefined>;
}

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
  /**
   * Lease on running one subscription, in ms: one replica runs each; the holder renews every third of it, and
   * another replica takes over within about 1⅓ of it after the holder dies. @default 15000
   */
  readonly leaseMs?: number;
  readonly logger: Logger;
}

/** Refusals meaning the persisted document is gone for good (revoked, never registered, persisted queries off). */
const GONE: ReadonlySet<string> = new Set([CODE.PERSISTED_QUERY_NOT_IN_LIST, CODE.PERSISTED_QUERY_NOT_FOUND, CODE.QUERY_NOT_IN_SAFELIST, CODE.PERSISTED_QUERY_NOT_SUPPORTED]);

interface Running {
  readonly spec: PushSubscriptionSpec;
  stream: EventStream | undefined;
  /** Fan-outs of this subscription's events, one after the other, so devices get them in order. */
  fanOuts: Promise<void>;
  /** Per registration, its last push not yet finished: the next push to that device waits for it (order per device). */
  readonly devices: Map<string, Promise<unknown>>;
  /** Resume-point writes, one after the other, each once every push of its event has finished. */
  cursorWrites: Promise<void>;
  stopped: boolean;
  restartMs: number;
  /** The last event id handed to the dispatcher (also recorded in the store): where the next subscribe resumes. */
  lastEventId: string | undefined;
}

/** Resume refusals after which the bridged subscription goes live (the events after its resume point are lost). */
const RESUME_LOST: ReadonlySet<string> = new Set([CODE.SUBSCRIPTION_RESUME_GAP, CODE.SUBSCRIPTION_RESUME_INVALID, CODE.SUBSCRIPTION_RESUME_UNSUPPORTED]);

/**
 * The push bridge (issue 17 item 4): one server-side subscription per distinct (persisted document, operation
 * name, variables, client name), prepared by the gateway's own {@link OperationPipeline} exactly as a graphql-ws
 * `subscribe` is (persisted-query lookup and safelist, document and operation limits, validation, variable
 * coercion) and run on the {@link SubscriptionRouter} (so it shares upstreams with WebSocket clients of the same
 * operation). Each event goes, as a background push, to the registrations of that subscription that have no live
 * WebSocket or said they are backgrounded; never to another subscription's devices.
 *
 * One replica runs each subscription: it holds a lease in the registration store (Redis `SET NX PX`, renewed
 * every third of `leaseMs`); every replica checks the stored subscriptions on that period and takes over the
 * ones whose lease lapsed. A revoked persisted document ends its subscription and removes its registrations; a
 * subscription that ends otherwise (subgraph gone, supergraph reload) is prepared again with backoff.
 *
 * Resume (durable event streams): once every push of an event has finished, its `extensions.eventId` is
 * recorded as the subscription's cursor in the store (only by the lease holder). Whoever starts the subscription
 * next (a replica taking over, this one after a restart or an ended upstream) subscribes with that
 * `lastEventId`, so the events published while nobody ran it are pushed, in order, once. A resume point past
 * the subgraph's retention (`SUBSCRIPTION_RESUME_GAP`), not of its stream (`SUBSCRIPTION_RESUME_INVALID`) or not resumable (`SUBSCRIPTION_RESUME_UNSUPPORTED`) is
 * logged and the subscription goes live: those events are not pushed.
 */
export class PushBridge {
  private readonly running = new Map<string, Running>();
  private readonly starting = new Set<string>();
  private readonly owner = randomUUID();
  private readonly leaseMs: number;
  private ticker: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: PushBridgeOptions) {
    this.leaseMs = options.leaseMs ?? 15_000;
  }

  /** Server-side subscriptions running (or restarting). */
  get subscriptionCount(): number {
    return this.running.size;
  }

  /**
   * Validates and stores a registration, starting its server-side subscription when it is the first.
   * @param caller - the verified caller (recorded as the registration's owner; part of its id) and the caps' check.
   * @returns the registration and whether it is new, or the refusal: the pipeline's (e.g. 404
   *   `PERSISTED_QUERY_NOT_IN_LIST`, `BAD_USER_INPUT` for variables), 400 `PUSH_NOT_A_SUBSCRIPTION`, or `caller.admit`'s.
   * @throws RedisUnavailableError when the store does not answer.
   */
  async register(request: RegistrationRequest, now = Date.now(), caller: RegisteringCaller = {}): Promise<{ registration: PushRegistration; created: boolean } | { refused: readonly GraphQLError[] }> {
    const spec = subscriptionSpecOf(request);
    const prepared = await this.prepare(spec);
    if ('refused' in prepared) return prepared;
    const owner = caller.subject === undefined ? undefined : { subject: caller.subject, ...(caller.issuer !== undefined ? { issuer: caller.issuer } : {}) };
    const registration: PushRegistration = {
      ...owner,
      id: registrationIdOf(request.platform, request.token, spec.key, owner && ownerOf(owner)),
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
    if (caller.admit && !(await this.options.store.get(registration.id))) {
      const refusal = await caller.admit(registration);
      if (refusal) return { refused: [refusal] };
    }
    const put = await this.options.store.put(registration);
    await this.ensure(spec, prepared);
    return put;
  }

  /** @returns the registration, after a state change. @throws RedisUnavailableError. */
  setState(id: string, state: AppState): Promise<PushRegistration | undefined> {
    return this.options.store.setState(id, state);
  }

  /** Starts every stored subscription whose lease is free, then keeps checking every third of `leaseMs`. Never throws. */
  async resume(): Promise<void> {
    await this.tick();
    if (this.closed || this.ticker) return;
    this.ticker = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.ticker.unref();
  }

  /** Renews the leases held here (a lost one stops its subscription), stops subscriptions without registrations, starts the free ones. */
  private async tick(): Promise<void> {
    let specs: PushSubscriptionSpec[];
    try {
      specs = await this.options.store.subscriptions();
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'push: registrations not loaded; retrying later');
      return;
    }
    const keys = new Set(specs.map((s) => s.key));
    for (const run of [...this.running.values()]) {
      if (!keys.has(run.spec.key)) {
        this.stop(run);
        continue;
      }
      // a Redis hiccup keeps the subscription here: a lapsed lease is taken over, at worst a few events go twice
      const held = await this.options.store.lease(run.spec.key, this.owner, this.leaseMs).catch(() => true);
      if (!held) {
        this.options.logger.info({ subscription: run.spec.key }, 'push: another replica holds this subscription now');
        this.stop(run);
      }
    }
    await Promise.all(specs.filter((s) => !this.running.has(s.key)).map((spec) => this.ensure(spec)));
  }

  /**
   * A persisted-query revocation (from the persisted-query store's `onRevoke`): every subscription of those
   * documents is prepared again, and the ones now refused as unknown are stopped and their registrations removed.
   */
  async revoked(ids: readonly string[] | 'all'): Promise<void> {
    const hit = [...this.running.values()].filter((r) => ids === 'all' || ids.includes(r.spec.documentId.replace(/^sha256:/, '')));
    for (const run of hit) {
      const prepared = await this.prepare(run.spec);
      if ('refused' in prepared && GONE.has(String(prepared.refused[0]?.extensions.code))) {
        this.stop(run);
        await this.retire(run.spec, prepared.refused[0]!);
      }
    }
  }

  /** A subscription with no registration left stops (after a DELETE or a dead token). */
  async forgetIfEmpty(subscriptionKey: string): Promise<void> {
    const run = this.running.get(subscriptionKey);
    if (!run) return;
    const left = await this.options.store.bySubscription(subscriptionKey).catch(() => undefined);
    if (left && left.length === 0) await this.stop(run);
  }

  /** Stops every subscription and gives its lease up (so another replica takes over at its next check). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    await Promise.all([...this.running.values()].map((run) => this.stop(run)));
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

  /** Runs `spec` here when its lease is free (or already this replica's). Never throws. */
  private async ensure(spec: PushSubscriptionSpec, prepared?: PreparedOperation): Promise<void> {
    if (this.closed || this.running.has(spec.key) || this.starting.has(spec.key)) return;
    this.starting.add(spec.key);
    try {
      const held = await this.options.store.lease(spec.key, this.owner, this.leaseMs).catch(() => false);
      if (!held || this.closed) return;
      const ready = prepared ?? (await this.prepare(spec).catch((error: Error) => ({ refused: [roamError('INTERNAL_SERVER_ERROR', error.message)] })));
      if ('refused' in ready) {
        const error = ready.refused[0]!;
        if (GONE.has(String(error.extensions.code))) await this.retire(spec, error);
        else this.options.logger.warn({ subscription: spec.key, code: error.extensions.code, message: error.message }, 'push: subscription not started');
        await this.options.store.releaseLease(spec.key, this.owner);
        return;
      }
      const cursor = await this.options.store.cursor(spec.key).catch((error: Error) => {
        this.options.logger.warn({ subscription: spec.key, err: error.message }, 'push: resume point not loaded; starting live');
        return undefined;
      });
      if (this.closed) return void (await this.options.store.releaseLease(spec.key, this.owner));
      const run: Running = {
        spec,
        stream: undefined,
        fanOuts: Promise.resolve(),
        devices: new Map(),
        cursorWrites: Promise.resolve(),
        stopped: false,
        restartMs: this.options.restartDelayMs ?? 1000,
        lastEventId: cursor,
      };
      this.running.set(spec.key, run);
      this.consume(run, ready);
    } finally {
      this.starting.delete(spec.key);
    }
  }

  private consume(run: Running, { ctx, op }: PreparedOperation): void {
    let plan;
    try {
      plan = ctx.snapshot.planSubscription(op.document, op.operationName, op.documentHash);
    } catch (error) {
      this.options.logger.error({ subscription: run.spec.key, err: (error as Error).message }, 'push: subscription could not be planned');
      void this.stop(run);
      return;
    }
    const resumedFrom = run.lastEventId;
    const stream = this.options.router.subscribe({ op, plan }, { key: 'anonymous', connectionParams: {} }, () => undefined, undefined, resumedFrom);
    run.stream = stream;
    void (async () => {
      let ended: unknown;
      try {
        for await (const result of stream) run.fanOuts = run.fanOuts.then(() => this.fanOut(run, result));
      } catch (error) {
        ended = error;
      }
      if (run.stopped || this.closed) return;
      const code = String((ended as { extensions?: { code?: unknown } } | undefined)?.extensions?.code);
      if (resumedFrom !== undefined && RESUME_LOST.has(code)) {
        // the events after the resume point are gone: go live (devices refetch when the app next opens)
        this.options.logger.warn({ subscription: run.spec.key, lastEventId: resumedFrom, code }, 'push: events missed while no replica ran this subscription are past retention; going live');
        if (run.lastEventId === resumedFrom) run.lastEventId = undefined;
        void this.restart(run);
        return;
      }
      this.options.logger.warn({ subscription: run.spec.key, err: (ended as Error | undefined)?.message }, 'push: server-side subscription ended; restarting');
      setTimeout(() => void this.restart(run), run.restartMs).unref();
      run.restartMs = Math.min(run.restartMs * 2, 30_000);
    })();
  }

  private async restart(run: Running): Promise<void> {
    if (run.stopped || this.closed) return;
    const prepared = await this.prepare(run.spec).catch(() => undefined);
    if (prepared && 'refused' in prepared) {
      if (GONE.has(String(prepared.refused[0]?.extensions.code))) {
        this.stop(run);
        return this.retire(run.spec, prepared.refused[0]!);
      }
    }
    if (!prepared || 'refused' in prepared) {
      setTimeout(() => void this.restart(run), run.restartMs).unref();
      run.restartMs = Math.min(run.restartMs * 2, 30_000);
      return;
    }
    this.consume(run, prepared);
  }

  /** Looks up the event's devices and hands each push to the dispatcher (not awaiting delivery). Never rejects. */
  private fanOut(run: Running, result: ExecutionResult): Promise<void> {
    const spec = run.spec;
    const eventId = eventIdOf(result);
    const pushes: Promise<void>[] = [];
    return (async () => {
      const registrations = await this.options.store.bySubscription(spec.key);
      if (registrations.length === 0) return;
      const live = await this.options.store.liveAmong(registrations.map((r) => r.id));
      for (const registration of registrations) {
        if (live.has(registration.id) && registration.state !== 'background') continue;
        const message = { token: registration.token, collapseId: `roam:${spec.key}`, data: pushData(registration, result, eventId, this.options.inlineEventMaxBytes) };
        const pushed = (run.devices.get(registration.id) ?? Promise.resolve())
          .then(() => this.options.dispatcher.deliver(registration, message, eventId))
          .then((outcome) => {
            if (outcome.kind === 'unregistered') void this.forgetIfEmpty(spec.key);
          })
          .catch(() => undefined);
        run.devices.set(registration.id, pushed);
        pushes.push(pushed);
        void pushed.then(() => {
          if (run.devices.get(registration.id) === pushed) run.devices.delete(registration.id);
        });
      }
    })()
      .catch((error: Error) => this.options.logger.warn({ subscription: spec.key, err: error.message }, 'push: event not pushed (registrations unavailable)'))
      .then(() => {
        if (eventId === undefined) return;
        run.lastEventId = eventId; // a restart here resumes after the events already handed to the dispatcher
        run.cursorWrites = run.cursorWrites.then(() => Promise.all(pushes)).then(() => this.advance(run, eventId));
      });
  }

  /**
   * Records the subscription's resume point once every push of that event has finished (sent, refused or out of
   * retries), so a replica that crashes mid-push leaves the point before that event. Never rejects.
   */
  private async advance(run: Running, eventId: string): Promise<void> {
    await this.options.store
      .setCursor(run.spec.key, this.owner, eventId)
      .catch((error: Error) => this.options.logger.warn({ subscription: run.spec.key, err: error.message }, 'push: resume point not recorded'));
  }

  /** The persisted document is gone: removes every registration of `spec`. */
  private async retire(spec: PushSubscriptionSpec, reason: GraphQLError | RoamError): Promise<void> {
    const removed = await this.options.store.deleteSubscription(spec.key).catch(() => [] as string[]);
    this.options.logger.warn(
      { documentId: spec.documentId, code: reason.extensions.code, removed: removed.length },
      'push: persisted subscription no longer available; its registrations were removed',
    );
  }

  /**
   * Ends a subscription here and gives its lease up once the events already received are pushed (within the
   * dispatcher's retry budget) and the resume point recorded, so the next holder resumes after them and a device
   * gets each event once. @returns when the lease is released; never rejects.
   */
  private async stop(run: Running): Promise<void> {
    run.stopped = true;
    if (this.running.get(run.spec.key) === run) this.running.delete(run.spec.key);
    void run.stream?.return();
    await run.fanOuts;
    await run.cursorWrites;
    return this.options.store.releaseLease(run.spec.key, this.owner);
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
