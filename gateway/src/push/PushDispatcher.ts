import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClient } from '@roam/redis';
import type { PushPlatform, PushRegistration } from './PushRegistration';
import type { RegistrationStore } from './RegistrationStore';
import type { PushMessage, PushSender, SendResult } from './senders/SendResult';

/** Settings of {@link PushDispatcher}. */
export interface PushDispatcherOptions {
  /** A sender per configured platform. */
  readonly senders: Partial<Record<PushPlatform, PushSender>>;
  readonly store: RegistrationStore;
  /** Most pushes to one device (platform + token) per window. */
  readonly ratePerDevice: number;
  /** The rate-limit window, in seconds. */
  readonly rateWindowSeconds: number;
  /** Retries after a `retry` outcome. */
  readonly maxRetries: number;
  /** First backoff without `Retry-After`, in ms; doubled per retry, with jitter (50–100 %). */
  readonly retryBaseMs: number;
  /** Longest `Retry-After` honoured, in ms; longer gives up. */
  readonly maxRetryAfterMs: number;
  /** Most pushes in flight at once (waiting included). @default 256 */
  readonly maxInFlight?: number;
  /** Redis for the rate-limit counters (shared by replicas), under `keyPrefix`; in memory when absent. */
  readonly redis?: { readonly client: RedisClient; readonly keyPrefix: string };
  /** Told after each push's final outcome (tests, bench, metrics); must not throw. */
  readonly onOutcome?: (outcome: PushOutcome) => void;
  readonly logger: Logger;
}

/** How one push to one registration ended. */
export interface PushOutcome {
  readonly registration: PushRegistration;
  readonly message: PushMessage;
  /** `sent`; `unregistered` (its token's registrations were removed); `failed` (given up); `rate-limited` (not sent). */
  readonly kind: 'sent' | 'unregistered' | 'failed' | 'rate-limited';
  /** Attempts made (0 when rate-limited). */
  readonly attempts: number;
  readonly eventId: string | undefined;
}

/** Counts since start, for `/ready`, tests and the bench. */
export interface PushCounts {
  sent: number;
  unregistered: number;
  failed: number;
  rateLimited: number;
  retries: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Sends pushes: a per-device rate limit (`rate-limiter-flexible`, in Redis when replicas share one, so a device
 * is limited across replicas), then the platform's sender with retries on 429/5xx/network failures, waiting
 * `Retry-After` when the service sent one (RFC 9110 §10.2.3; APNs and FCM both ask for it) and otherwise an
 * exponential backoff with jitter; a dead token (APNs 410, FCM `UNREGISTERED`) removes every registration of that
 * token; the event id of a sent push is recorded on the registration (the app resumes from it).
 */
export class PushDispatcher {
  readonly counts: PushCounts = { sent: 0, unregistered: 0, failed: 0, rateLimited: 0, retries: 0 };
  private readonly limiter: RateLimiterAbstract;
  private readonly waiting: (() => void)[] = [];
  private inFlight = 0;
  private closed = false;

  constructor(private readonly options: PushDispatcherOptions) {
    const limits = { points: options.ratePerDevice, duration: options.rateWindowSeconds };
    this.limiter = options.redis ? new RateLimiterRedis({ ...limits, storeClient: options.redis.client, keyPrefix: options.redis.keyPrefix }) : new RateLimiterMemory(limits);
  }

  /** Pushes in flight or waiting for a slot. */
  get pending(): number {
    return this.inFlight + this.waiting.length;
  }

  /**
   * Sends one push to one registration, retrying as described above.
   * @returns its outcome; never rejects (store and limiter failures are logged).
   */
  async deliver(registration: PushRegistration, message: PushMessage, eventId: string | undefined): Promise<PushOutcome> {
    await this.slot();
    try {
      const outcome = await this.attempt(registration, message, eventId);
      try {
        this.options.onOutcome?.(outcome);
      } catch (error) {
        this.options.logger.warn({ err: (error as Error).message }, 'push: onOutcome hook threw');
      }
      return outcome;
    } finally {
      this.release();
    }
  }

  /** Stops retry loops (pushes in flight finish their current attempt). */
  close(): void {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async attempt(registration: PushRegistration, message: PushMessage, eventId: string | undefined): Promise<PushOutcome> {
    const { logger } = this.options;
    const outcome = (kind: PushOutcome['kind'], attempts: number): PushOutcome => ({ registration, message, kind, attempts, eventId });
    try {
      await this.limiter.consume(deviceKey(registration.platform, registration.token));
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        this.counts.rateLimited++;
        logger.debug({ registrationId: registration.id, retryInMs: error.msBeforeNext }, 'push rate-limited for this device');
        return outcome('rate-limited', 0);
      }
      logger.warn({ err: (error as Error).message }, 'push rate limiter unavailable; sending without it');
    }
    const sender = this.options.senders[registration.platform];
    if (!sender) {
      this.counts.failed++;
      return outcome('failed', 0);
    }
    let result: SendResult | undefined;
    for (let attempt = 0; attempt <= this.options.maxRetries && !this.closed; attempt++) {
      result = await sender.send(message);
      switch (result.kind) {
        case 'sent':
          this.counts.sent++;
          if (eventId !== undefined) await this.options.store.setLastEventId(registration.id, eventId).catch((e: Error) => logger.warn({ err: e.message }, 'push: last event id not recorded'));
          return outcome('sent', attempt + 1);
        case 'unregistered': {
          this.counts.unregistered++;
          const removed = await this.options.store.deleteToken(registration.platform, registration.token).catch((e: Error) => {
            logger.warn({ err: e.message }, 'push: unregistered token not removed (Redis); it will be tried again');
            return [] as string[];
          });
          logger.info({ platform: registration.platform, reason: result.reason, removed: removed.length }, 'push token unregistered by the push service; its registrations were removed');
          return outcome('unregistered', attempt + 1);
        }
        case 'failed':
          this.counts.failed++;
          logger.warn({ platform: registration.platform, status: result.status, reason: result.reason, registrationId: registration.id }, 'push refused by the push service');
          return outcome('failed', attempt + 1);
        case 'retry': {
          if (attempt === this.options.maxRetries) break;
          const backoff = this.options.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
          const delay = result.retryAfterMs ?? backoff;
          if (delay > this.options.maxRetryAfterMs) {
            logger.warn({ platform: registration.platform, retryAfterMs: delay }, 'push: Retry-After longer than PUSH_MAX_RETRY_AFTER_MS; giving up');
            this.counts.failed++;
            return outcome('failed', attempt + 1);
          }
          this.counts.retries++;
          await sleep(delay);
          break;
        }
        default: {
          const never: never = result;
          throw new Error(`unknown send result ${JSON.stringify(never)}`);
        }
      }
    }
    this.counts.failed++;
    logger.warn({ platform: registration.platform, status: result?.status, reason: result?.kind === 'retry' ? result.reason : undefined, registrationId: registration.id }, 'push: retries exhausted');
    return outcome('failed', this.options.maxRetries + 1);
  }

  private async slot(): Promise<void> {
    if (this.inFlight < (this.options.maxInFlight ?? 256)) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}

/** Rate-limit key of one device: platform and a hash of the token (tokens never appear in Redis keys). */
function deviceKey(platform: PushPlatform, token: string): string {
  return `${platform}:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}
