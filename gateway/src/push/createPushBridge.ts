import type { PersistedQueryStore } from '@roam/persisted-queries';
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { OperationPipeline } from '../pipeline/OperationPipeline';
import type { ConnectionInfo } from '../subscriptions/types';
import type { SubscriptionRouter } from '../subscriptions/SubscriptionRouter';
import { MemoryRegistrationStore } from './MemoryRegistrationStore';
import { PushBridge } from './PushBridge';
import { PushDispatcher, type PushOutcome } from './PushDispatcher';
import type { PushSettings } from './pushEnv';
import type { PushPlatform } from './PushRegistration';
import { RedisRegistrationStore } from './RedisRegistrationStore';
import type { RegistrationStore } from './RegistrationStore';
import { registerPushRoutes } from './registerPushRoutes';
import { ApnsSender } from './senders/ApnsSender';
import { FcmSender } from './senders/FcmSender';
import type { PushSender } from './senders/SendResult';
import type { AuthOutcome } from '../security/Authenticator';

/** What {@link createPushBridge} needs from the gateway. */
export interface PushBridgeDeps {
  readonly settings: PushSettings;
  /** `REDIS_URL`; registrations in memory when undefined. */
  readonly redisUrl: string | undefined;
  readonly pipeline: OperationPipeline;
  readonly router: SubscriptionRouter;
  /** Persisted-query revocations (the persisted-query store's `onRevoke`). */
  readonly revocations: Pick<PersistedQueryStore, 'onRevoke'>;
  /** Told after each push's final outcome (tests, bench); must not throw. */
  readonly onOutcome?: (outcome: PushOutcome) => void;
  /** The gateway's metrics registry: `roam_push_notifications_total` is registered on it. @default none (`METRICS=off`) */
  readonly metrics?: Registry;
  readonly logger: Logger;
}

/** The push bridge as wired into a gateway. */
export interface GatewayPushBridge {
  readonly bridge: PushBridge;
  readonly store: RegistrationStore;
  readonly dispatcher: PushDispatcher;
  /** Serves `/push/registrations…` on `app`; with `authenticate` (`AUTH_MODE` optional/required) registrations belong to their verified caller (README "Security"). */
  registerRoutes(app: FastifyInstance, authenticate?: (authorization: string | undefined) => Promise<AuthOutcome>): void;
  /** A WebSocket opened (`open`) or closed: registrations named in its `connection_init` payload are live while it is open. */
  connection(info: ConnectionInfo, open: boolean): void;
  /** After the first supergraph load: listens to revocations and starts every stored subscription. Never throws. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wires the push bridge (README "Push bridge"): the registration store (Redis under `PUSH_KEY_PREFIX` when
 * `REDIS_URL` is set, else memory), an APNs and/or FCM sender (per the credentials configured), the dispatcher
 * (rate limits, retries, token removal) and the bridge itself.
 */
export function createPushBridge(deps: PushBridgeDeps): GatewayPushBridge {
  const { settings, logger } = deps;
  const log = logger.child({ component: 'push' });
  const redisStore = deps.redisUrl ? new RedisRegistrationStore({ url: deps.redisUrl, keyPrefix: settings.keyPrefix, logger: log }) : undefined;
  const store: RegistrationStore = redisStore ?? new MemoryRegistrationStore();
  const senders: Partial<Record<PushPlatform, PushSender>> = {};
  if (settings.apns) senders.apns = new ApnsSender(settings.apns, settings.sendTimeoutMs);
  if (settings.fcm) senders.fcm = new FcmSender(settings.fcm, settings.sendTimeoutMs);
  const counter = deps.metrics
    ? new Counter({
        name: 'roam_push_notifications_total',
        help: 'Pushes by platform and final outcome (sent, unregistered, failed, rate-limited).',
        labelNames: ['platform', 'outcome'] as const,
        registers: [deps.metrics],
      })
    : undefined;
  const onOutcome = (outcome: PushOutcome): void => {
    counter?.inc({ platform: outcome.registration.platform, outcome: outcome.kind });
    deps.onOutcome?.(outcome);
  };
  const dispatcher = new PushDispatcher({
    senders,
    store,
    ratePerDevice: settings.ratePerDevice,
    rateWindowSeconds: settings.rateWindowSeconds,
    maxRetries: settings.maxRetries,
    retryBaseMs: settings.retryBaseMs,
    maxRetryAfterMs: settings.maxRetryAfterMs,
    ...(redisStore ? { redis: { client: redisStore.client, keyPrefix: redisStore.rateKeyPrefix } } : {}),
    onOutcome,
    logger: log,
  });
  const bridge = new PushBridge({ pipeline: deps.pipeline, router: deps.router, store, dispatcher, inlineEventMaxBytes: settings.inlineEventMaxBytes, leaseMs: settings.leaseMs, logger: log });
  let stopRevocations: (() => Promise<void>) | undefined;
  return {
    bridge,
    store,
    dispatcher,
    registerRoutes: (app, authenticate) =>
      registerPushRoutes(app, {
        bridge,
        store,
        platforms: new Set(Object.keys(senders) as PushPlatform[]),
        ...(authenticate ? { authenticate } : {}),
        maxPerToken: settings.maxPerToken,
        maxPerSubject: settings.maxPerSubject,
        logger: log,
      }),
    connection(info, open) {
      for (const id of registrationIdsOf(info.connectionParams)) store.setLive(id, open);
    },
    async start() {
      stopRevocations = await deps.revocations
        .onRevoke((ids) => void bridge.revoked(ids))
        .catch((error: Error) => {
          log.warn({ err: error.message }, 'push: not listening to persisted-query revocations');
          return undefined;
        });
      await redisStore?.waitUntilReady(2000).catch(() => log.warn('push: Redis not ready at start; registrations load when it is'));
      await bridge.resume();
    },
    async close() {
      await bridge.close();
      dispatcher.close();
      await stopRevocations?.();
      await Promise.all(Object.values(senders).map((s) => s.close()));
      await store.close();
    },
  };
}

/** Registration ids a `connection_init` payload names: `pushRegistrationIds` (array) or `pushRegistrationId` (string). */
function registrationIdsOf(params: Readonly<Record<string, unknown>>): string[] {
  const many = params.pushRegistrationIds;
  const one = params.pushRegistrationId;
  const ids = Array.isArray(many) ? many : typeof one === 'string' ? [one] : [];
  return ids.filter((id): id is string => typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)).slice(0, 100);
}
