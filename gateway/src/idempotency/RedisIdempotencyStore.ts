import { randomUUID } from 'node:crypto';
import { createRedisConnections, redisKeyspace, type RedisConnections, type RedisKeyspace, type RedisLogger } from '@roam/redis';
import type { Claim, IdempotencyStore, StoredResponse } from './IdempotencyStore';

/**
 * KEYS: response, lease. ARGV: lease value (`<token> <fingerprint>`), lease ms.
 * Returns {1, response} when stored, {0} when the lease was taken, {2, lease value, pttl} when held by another.
 */
const CLAIM = `
local r = redis.call('GET', KEYS[1])
if r then return {1, r} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
return {2, redis.call('GET', KEYS[2]), redis.call('PTTL', KEYS[2])}`;

/** KEYS: lease. ARGV: token, lease ms. Returns 1 when renewed. */
const RENEW = `
local l = redis.call('GET', KEYS[1])
if l and string.sub(l, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** KEYS: response, lease. ARGV: token, response value, ttl ms. Stores the first response only; drops our lease. */
const COMPLETE = `
redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3])
local l = redis.call('GET', KEYS[2])
if l and string.sub(l, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then redis.call('DEL', KEYS[2]) end
return 1`;

/** KEYS: lease. ARGV: token. */
const RELEASE = `
local l = redis.call('GET', KEYS[1])
if l and string.sub(l, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then redis.call('DEL', KEYS[1]) end
return 1`;

/** Options of {@link RedisIdempotencyStore}. */
export interface RedisIdempotencyStoreOptions {
  /** `REDIS_URL` (standalone, Sentinel or Cluster). */
  readonly url: string;
  /** Root prefix of every key (`IDEMPOTENCY_REDIS_PREFIX`), e.g. `roam:`; keys live under `<prefix>idem:`. */
  readonly prefix: string;
  /** Deadline of every Redis call, in ms (`IDEMPOTENCY_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  /** Receives one line per connection state change. */
  readonly logger?: RedisLogger;
}

/** The stored response as kept in Redis (JSON; the body base64). */
interface Encoded {
  readonly f: string;
  readonly s: number;
  readonly h: Record<string, string>;
  readonly b: string;
}

/**
 * {@link IdempotencyStore} in Redis, shared by every replica, through the `@roam/redis` layer (no offline queue,
 * every call bounded by `timeoutMs`). A record is two keys in the reserved `idem` namespace, hash-tagged by the
 * record id so that both live on one Redis Cluster slot and each Lua script touches one slot:
 *
 * - `<prefix>idem:{<id>}:lease` = `<token> <fingerprint>`, `SET NX PX <lease>`: who executes;
 * - `<prefix>idem:{<id>}:response` = JSON `{f, s, h, b}` (fingerprint, status, headers, base64 body), `PX <ttl>`.
 *
 * The claim (look up the response, else take the lease) and the completion (store the response, drop the lease)
 * are each one Lua script, so they are atomic: of many concurrent claims exactly one gets the lease, and no
 * reader ever sees a response without its fingerprint. The first execution costs two round trips (claim,
 * complete) plus one renewal per `lease / 3` of execution time.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly kind = 'redis';
  private readonly redis: RedisConnections;
  private readonly keys: RedisKeyspace;

  /** @throws Error when the URL is malformed. */
  constructor(options: RedisIdempotencyStoreOptions) {
    this.redis = createRedisConnections(options.url, { commandTimeoutMs: options.timeoutMs, logger: options.logger, name: 'idempotency store' });
    this.keys = redisKeyspace(options.prefix).namespace('idem');
  }

  /** Waits until Redis is connected. @throws RedisUnavailableError after `timeoutMs`. */
  waitUntilReady(timeoutMs: number): Promise<void> {
    return this.redis.waitUntilReady(timeoutMs);
  }

  private record(id: string): [response: string, lease: string] {
    const tag = `{${id}}`;
    return [this.keys.key(tag, 'response'), this.keys.key(tag, 'lease')];
  }

  async claim(id: string, fingerprint: string, leaseMs: number): Promise<Claim> {
    const token = randomUUID();
    const [response, lease] = this.record(id);
    const reply = (await this.redis.call('idempotency claim', (c) => c.eval(CLAIM, 2, response, lease, `${token} ${fingerprint}`, String(leaseMs)))) as [number, string?, number?];
    if (reply[0] === 0) return { kind: 'acquired', token };
    if (reply[0] === 1) {
      const e = JSON.parse(reply[1]!) as Encoded;
      return { kind: 'stored', fingerprint: e.f, response: { status: e.s, headers: e.h, body: Buffer.from(e.b, 'base64') } };
    }
    const held = reply[1] ?? '';
    return { kind: 'in-progress', fingerprint: held.slice(held.indexOf(' ') + 1), leaseLeftMs: Math.max(0, Number(reply[2] ?? 0)) };
  }

  async renew(id: string, token: string, leaseMs: number): Promise<boolean> {
    const [, lease] = this.record(id);
    return (await this.redis.call('idempotency renew', (c) => c.eval(RENEW, 1, lease, token, String(leaseMs)))) === 1;
  }

  async complete(id: string, token: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void> {
    const [key, lease] = this.record(id);
    const value: Encoded = { f: fingerprint, s: response.status, h: { ...response.headers }, b: response.body.toString('base64') };
    await this.redis.call('idempotency complete', (c) => c.eval(COMPLETE, 2, key, lease, token, JSON.stringify(value), String(ttlMs)));
  }

  async release(id: string, token: string): Promise<void> {
    const [, lease] = this.record(id);
    await this.redis.call('idempotency release', (c) => c.eval(RELEASE, 1, lease, token));
  }

  close(): Promise<void> {
    return this.redis.close();
  }
}
