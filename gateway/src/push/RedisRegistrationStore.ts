import { createHash, randomUUID } from 'node:crypto';
import { createRedisConnections, redisKeyspace, type RedisConnections, type RedisKeyspace, type RedisLogger } from '@roam/redis';
import { ownerOf, type AppState, type PushPlatform, type PushRegistration, type PushSubscriptionSpec } from './PushRegistration';
import type { PutResult, RegistrationStore } from './RegistrationStore';

/** Options of {@link RedisRegistrationStore}. */
export interface RedisRegistrationStoreOptions {
  /** `REDIS_URL` (standalone, Sentinel or Cluster). */
  readonly url: string;
  /** `PUSH_KEY_PREFIX`, e.g. `roam:push:`; wrapped in a hash tag so every key is in one slot. */
  readonly keyPrefix: string;
  /** Deadline of every call, in ms. @default 1000 */
  readonly timeoutMs?: number;
  /** How long a live mark outlives its last refresh, in ms (a crashed replica's marks expire after it). @default 30000 */
  readonly liveTtlMs?: number;
  readonly logger?: RedisLogger;
}

// KEYS: reg, sub, subs, tok, cursor, own; ARGV: id, subscriptionKey. Removes one registration and, with its last one, the subscription and its resume point.
const DELETE_SCRIPT = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('SREM', KEYS[6], ARGV[1])
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[2])
  redis.call('HDEL', KEYS[5], ARGV[2])
end
return 1`;

// KEYS: lease, cursor, sub; ARGV: owner, subscriptionKey, eventId. Records a subscription's resume point while owner holds its lease and it has registrations.
const CURSOR_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('SCARD', KEYS[3]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

// KEYS: reg; ARGV: field, value. Sets one field of an existing registration only (never recreates a deleted one).
const SET_IF_EXISTS_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

// KEYS: lease; ARGV: owner, ttlMs. Takes a free lease or renews one this owner holds.
const LEASE_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

// KEYS: lease; ARGV: owner. Deletes the lease only when this owner holds it.
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Registrations shared by every replica, in Redis through the shared layer (`@roam/redis`), all keys under one
 * hash tag (`{roam:push:}…`) so the scripts and transactions below are legal on a Redis Cluster:
 *
 * - `reg:<id>`: hash of one registration's fields (`variables` as JSON);
 * - `sub:<subscriptionKey>`: set of registration ids of one server-side subscription;
 * - `subs`: hash subscription key → JSON {@link PushSubscriptionSpec} (what every replica runs at start);
 * - `tok:<platform>:<sha256(token)>`: set of registration ids of one device token (removal on APNs 410 / FCM `UNREGISTERED`, the per-token cap);
 * - `own:<sha256(iss, sub)>`: set of registration ids of one verified caller (the per-subject cap; README "Security");
 * - `live:<id>`: present while a WebSocket naming the registration is open on some replica (`PX` `liveTtlMs`,
 *   refreshed every third of it by the replica holding the socket);
 * - `lease:<subscriptionKey>`: the replica that runs that server-side subscription (`SET NX PX`, renewed by it);
 * - `cursor`: hash subscription key → the last event id its lease holder handed to the dispatcher (where a
 *   replica that takes the subscription over resumes, `extensions.lastEventId`).
 *
 * Deletions run as Lua scripts, so a subscription disappears exactly when its last registration does.
 */
export class RedisRegistrationStore implements RegistrationStore {
  private readonly connections: RedisConnections;
  private readonly keys: RedisKeyspace;
  private readonly liveTtlMs: number;
  private readonly live = new Map<string, number>();
  private readonly replica = randomUUID();
  private readonly refresh: NodeJS.Timeout;

  constructor(options: RedisRegistrationStoreOptions) {
    this.connections = createRedisConnections(options.url, { commandTimeoutMs: options.timeoutMs ?? 1000, name: 'push registrations', ...(options.logger ? { logger: options.logger } : {}) });
    this.keys = redisKeyspace(options.keyPrefix, { hashTag: true });
    this.liveTtlMs = options.liveTtlMs ?? 30_000;
    this.refresh = setInterval(() => void this.refreshLive(), Math.max(100, Math.floor(this.liveTtlMs / 3)));
    this.refresh.unref();
  }

  /** The command connection (the rate limiter's counters share it). */
  get client(): RedisConnections['command'] {
    return this.connections.command;
  }

  /** Key prefix of the per-device rate-limit counters (`<prefix>rate`, same hash tag). */
  get rateKeyPrefix(): string {
    return this.keys.key('rate');
  }

  /** Waits until Redis is ready. @throws RedisUnavailableError after `timeoutMs`. */
  waitUntilReady(timeoutMs: number): Promise<void> {
    return this.connections.waitUntilReady(timeoutMs);
  }

  async put(registration: PushRegistration): Promise<PutResult> {
    const existing = await this.get(registration.id);
    const stored: PushRegistration = existing ? { ...existing, state: registration.state } : registration;
    const spec: PushSubscriptionSpec = { key: stored.subscriptionKey, documentId: stored.documentId, operationName: stored.operationName, variables: stored.variables, clientName: stored.clientName };
    const owner = ownerOf(stored);
    await this.connections.call('push registration', (client) => {
      const multi = client
        .multi()
        .hset(this.keys.key('reg', stored.id), toHash(stored))
        .sadd(this.keys.key('sub', stored.subscriptionKey), stored.id)
        .hset(this.keys.key('subs'), stored.subscriptionKey, JSON.stringify(spec))
        .sadd(this.tokenKey(stored.platform, stored.token), stored.id);
      if (owner !== undefined) multi.sadd(this.ownerKey(owner), stored.id);
      return multi.exec();
    });
    return { created: !existing, registration: stored };
  }

  async get(id: string): Promise<PushRegistration | undefined> {
    const hash = await this.connections.call('push registration lookup', (client) => client.hgetall(this.keys.key('reg', id)));
    return fromHash(hash);
  }

  async delete(id: string): Promise<PushRegistration | undefined> {
    const existing = await this.get(id);
    if (!existing) return undefined;
    await this.remove(existing);
    return existing;
  }

  async setState(id: string, state: AppState): Promise<PushRegistration | undefined> {
    const set = await this.connections.call('push registration state', (client) => client.eval(SET_IF_EXISTS_SCRIPT, 1, this.keys.key('reg', id), 'state', state));
    return set === 1 ? this.get(id) : undefined;
  }

  async setLastEventId(id: string, eventId: string): Promise<void> {
    await this.connections.call('push last event id', (client) => client.eval(SET_IF_EXISTS_SCRIPT, 1, this.keys.key('reg', id), 'lastEventId', eventId));
  }

  async countByToken(platform: PushPlatform, token: string): Promise<number> {
    return this.connections.call('push token count', (client) => client.scard(this.tokenKey(platform, token)));
  }

  async countByOwner(owner: string): Promise<number> {
    return this.connections.call('push owner count', (client) => client.scard(this.ownerKey(owner)));
  }

  async bySubscription(subscriptionKey: string): Promise<PushRegistration[]> {
    const ids = await this.connections.call('push subscription members', (client) => client.smembers(this.keys.key('sub', subscriptionKey)));
    return this.getMany(ids);
  }

  async subscriptions(): Promise<PushSubscriptionSpec[]> {
    const all = await this.connections.call('push subscriptions', (client) => client.hgetall(this.keys.key('subs')));
    return Object.values(all).map((json) => JSON.parse(json) as PushSubscriptionSpec);
  }

  async deleteToken(platform: PushPlatform, token: string): Promise<string[]> {
    const ids = await this.connections.call('push token members', (client) => client.smembers(this.tokenKey(platform, token)));
    const registrations = await this.getMany(ids);
    for (const registration of registrations) await this.remove(registration);
    return registrations.map((r) => r.id);
  }

  async deleteSubscription(subscriptionKey: string): Promise<string[]> {
    const registrations = await this.bySubscription(subscriptionKey);
    for (const registration of registrations) await this.remove(registration);
    return registrations.map((r) => r.id);
  }

  setLive(id: string, live: boolean): void {
    const count = (this.live.get(id) ?? 0) + (live ? 1 : -1);
    if (count > 0) this.live.set(id, count);
    else this.live.delete(id);
    const key = this.keys.key('live', id);
    // presence is best effort: a failed write leaves the mark to expire (or to the next refresh)
    const write = (c: RedisConnections['command']): Promise<unknown> => (count > 0 ? c.set(key, this.replica, 'PX', this.liveTtlMs) : c.del(key));
    this.connections.call('push presence', write).catch(() => undefined);
  }

  async liveAmong(ids: readonly string[]): Promise<Set<string>> {
    const live = new Set(ids.filter((id) => this.live.has(id)));
    const remote = ids.filter((id) => !live.has(id));
    if (remote.length === 0) return live;
    const values = await this.connections.call('push presence lookup', (client) => client.mget(...remote.map((id) => this.keys.key('live', id))));
    remote.forEach((id, i) => {
      if (values[i] !== null) live.add(id);
    });
    return live;
  }

  async lease(subscriptionKey: string, owner: string, ttlMs: number): Promise<boolean> {
    const held = await this.connections.call('push lease', (client) => client.eval(LEASE_SCRIPT, 1, this.keys.key('lease', subscriptionKey), owner, String(ttlMs)));
    return held === 1;
  }

  async setCursor(subscriptionKey: string, owner: string, eventId: string): Promise<boolean> {
    const set = await this.connections.call('push cursor', (client) =>
      client.eval(CURSOR_SCRIPT, 3, this.keys.key('lease', subscriptionKey), this.keys.key('cursor'), this.keys.key('sub', subscriptionKey), owner, subscriptionKey, eventId),
    );
    return set === 1;
  }

  async cursor(subscriptionKey: string): Promise<string | undefined> {
    const id = await this.connections.call('push cursor lookup', (client) => client.hget(this.keys.key('cursor'), subscriptionKey));
    return id ?? undefined;
  }

  async releaseLease(subscriptionKey: string, owner: string): Promise<void> {
    await this.connections.call('push lease release', (client) => client.eval(RELEASE_SCRIPT, 1, this.keys.key('lease', subscriptionKey), owner)).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.refresh);
    await this.connections.close();
  }

  private async refreshLive(): Promise<void> {
    if (this.live.size === 0) return;
    await this.connections
      .call('push presence refresh', (client) => {
        const pipeline = client.pipeline();
        for (const id of this.live.keys()) pipeline.set(this.keys.key('live', id), this.replica, 'PX', this.liveTtlMs);
        return pipeline.exec();
      })
      .catch(() => undefined);
  }

  private async getMany(ids: readonly string[]): Promise<PushRegistration[]> {
    if (ids.length === 0) return [];
    const results = await this.connections.call('push registrations lookup', (client) => {
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.hgetall(this.keys.key('reg', id));
      return pipeline.exec();
    });
    return (results ?? []).map(([, hash]) => fromHash(hash as Record<string, string>)).filter((r): r is PushRegistration => r !== undefined);
  }

  private async remove(registration: PushRegistration): Promise<void> {
    await this.connections.call('push registration delete', (client) =>
      client.eval(
        DELETE_SCRIPT,
        6,
        this.keys.key('reg', registration.id),
        this.keys.key('sub', registration.subscriptionKey),
        this.keys.key('subs'),
        this.tokenKey(registration.platform, registration.token),
        this.keys.key('cursor'),
        this.ownerKey(ownerOf(registration)),
        registration.id,
        registration.subscriptionKey,
      ),
    );
  }

  /** The owner index key; registrations without an owner are in none (`own:-` is only named by the delete script, never written). */
  private ownerKey(owner: string | undefined): string {
    return this.keys.key('own', owner === undefined ? '-' : createHash('sha256').update(owner).digest('hex').slice(0, 32));
  }

  private tokenKey(platform: PushPlatform, token: string): string {
    return this.keys.key('tok', platform, createHash('sha256').update(token).digest('hex').slice(0, 32));
  }
}

function toHash(r: PushRegistration): Record<string, string> {
  const hash: Record<string, string> = {
    id: r.id,
    platform: r.platform,
    token: r.token,
    documentId: r.documentId,
    variables: JSON.stringify(r.variables),
    subscriptionKey: r.subscriptionKey,
    state: r.state,
    createdAt: String(r.createdAt),
  };
  if (r.operationName !== undefined) hash.operationName = r.operationName;
  if (r.clientName !== undefined) hash.clientName = r.clientName;
  if (r.lastEventId !== undefined) hash.lastEventId = r.lastEventId;
  if (r.subject !== undefined) hash.subject = r.subject;
  if (r.issuer !== undefined) hash.issuer = r.issuer;
  return hash;
}

function fromHash(hash: Record<string, string> | null | undefined): PushRegistration | undefined {
  if (!hash || hash.id === undefined || hash.token === undefined) return undefined;
  return {
    id: hash.id,
    platform: hash.platform as PushPlatform,
    token: hash.token,
    documentId: hash.documentId ?? '',
    operationName: hash.operationName,
    variables: JSON.parse(hash.variables ?? '{}') as Record<string, unknown>,
    clientName: hash.clientName,
    subscriptionKey: hash.subscriptionKey ?? '',
    state: hash.state === 'background' ? 'background' : 'foreground',
    lastEventId: hash.lastEventId,
    createdAt: Number(hash.createdAt ?? 0),
    ...(hash.subject !== undefined ? { subject: hash.subject } : {}),
    ...(hash.issuer !== undefined ? { issuer: hash.issuer } : {}),
  };
}
