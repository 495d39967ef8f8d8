import type { RedisConnections } from '@roam/redis';
import { LRUCache } from 'lru-cache';

/** One cached response as stored. */
export interface StoredResponse {
  /** The response's `data` as JSON text. */
  readonly data: string;
  /** The subgraph `Cache-Control` hints it was computed with (they restrict its policy again on a hit). */
  readonly hints: readonly { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' }[];
  /** When it was stored (ms since the epoch): `Age` counts from here. */
  readonly storedAt: number;
  /** The data tag (`etagOf`) of the response body `{"data":…}` with nothing beside `data`. */
  readonly etag?: string;
  /** Index names it is filed under ({@link indexNamesOf}). */
  readonly indexes: readonly string[];
  /** `data` parsed, kept with the entry after its first hit (shared by later hits: never modified). */
  parsed?: Record<string, unknown>;
}

/** How long an invalidation is remembered (ms), so a response whose execution started before it is not stored after it. */
export const TOMBSTONE_TTL_MS = 5 * 60_000;

/**
 * Where the response cache keeps responses, their invalidation index, and the base versions of delta updates.
 * Implemented over Redis (shared by replicas) and in memory (one process). Every method may throw when the
 * store is unavailable; callers treat a failed read as a miss and log a failed write.
 */
export interface ResponseCacheStore {
  /** Whether the store is shared by every replica (Redis). */
  readonly shared: boolean;
  /**
   * @param keys - cache keys to try, in order.
   * @returns the first stored response found, with its key.
   */
  get(keys: readonly string[]): Promise<{ key: string; entry: StoredResponse } | undefined>;
  /**
   * Stores `entry` under `key` for `ttlMs`, filed under `entry.indexes`, unless one of those indexes was
   * invalidated at or after `startedAt` (the execution that produced it may have read data the invalidation
   * changed): then nothing stays stored.
   * @returns whether the entry stays stored.
   */
  set(key: string, entry: StoredResponse, ttlMs: number, startedAt: number): Promise<boolean>;
  /**
   * Deletes every response filed under any of `indexes` and remembers the time for {@link TOMBSTONE_TTL_MS}.
   * @returns how many responses were deleted.
   */
  invalidate(indexes: readonly string[], now: number): Promise<number>;
  /**
   * Keeps `text` as a base version `etag` of operation `opKey` (newest first, at most `maxVersions`, each for `ttlMs`).
   * Does nothing when `etag` is already the newest.
   */
  putBase(opKey: string, etag: string, text: string, maxVersions: number, ttlMs: number): Promise<void>;
  /** @returns the text of base version `etag` of `opKey`, if still kept. */
  getBase(opKey: string, etag: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Bounds of {@link MemoryResponseCacheStore}. */
export interface MemoryStoreOptions {
  /** Most responses kept (least recently used go first). */
  readonly maxEntries: number;
  /** Most bytes (JSON text) of responses kept, and again of delta base versions. @default 268435456 (256 MiB) */
  readonly maxBytes?: number;
  /** Most operations whose base versions are kept. @default maxEntries */
  readonly maxBaseOperations?: number;
}

/** The store of one process (`npm start` without `REDIS_URL`): LRU-bounded maps. */
export class MemoryResponseCacheStore implements ResponseCacheStore {
  readonly shared = false;
  private readonly entries: LRUCache<string, StoredResponse>;
  private readonly index = new Map<string, Set<string>>();
  private readonly tombstones = new LRUCache<string, number>({ max: 100_000, ttl: TOMBSTONE_TTL_MS });
  private readonly bases: LRUCache<string, { etag: string; text: string; expiresAt: number }[]>;

  constructor(options: MemoryStoreOptions) {
    this.entries = new LRUCache<string, StoredResponse>({
      max: options.maxEntries,
      maxSize: options.maxBytes ?? 256 * 1024 * 1024,
      sizeCalculation: (entry) => entry.data.length + 256,
      ttlAutopurge: false,
      dispose: (entry, key) => {
        for (const name of entry.indexes) {
          const set = this.index.get(name);
          set?.delete(key);
          if (set?.size === 0) this.index.delete(name);
        }
      },
    });
    this.bases = new LRUCache({
      max: options.maxBaseOperations ?? options.maxEntries,
      maxSize: options.maxBytes ?? 256 * 1024 * 1024,
      sizeCalculation: (list) => list.reduce((n, b) => n + b.text.length, 0) + 256,
    });
  }

  async get(keys: readonly string[]): Promise<{ key: string; entry: StoredResponse } | undefined> {
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry) return { key, entry };
    }
    return undefined;
  }

  async set(key: string, entry: StoredResponse, ttlMs: number, startedAt: number): Promise<boolean> {
    if (entry.indexes.some((name) => (this.tombstones.get(name) ?? -Infinity) >= startedAt)) return false;
    this.entries.set(key, entry, { ttl: ttlMs });
    for (const name of entry.indexes) {
      let set = this.index.get(name);
      if (!set) this.index.set(name, (set = new Set()));
      set.add(key);
    }
    return true;
  }

  async invalidate(indexes: readonly string[], now: number): Promise<number> {
    let count = 0;
    for (const name of indexes) {
      this.tombstones.set(name, now);
      for (const key of [...(this.index.get(name) ?? [])]) if (this.entries.delete(key)) count++;
      this.index.delete(name);
    }
    return count;
  }

  async putBase(opKey: string, etag: string, text: string, maxVersions: number, ttlMs: number): Promise<void> {
    const now = Date.now();
    const list = (this.bases.get(opKey) ?? []).filter((b) => b.expiresAt > now);
    if (list[0]?.etag === etag) return;
    this.bases.set(opKey, [{ etag, text, expiresAt: now + ttlMs }, ...list.filter((b) => b.etag !== etag)].slice(0, maxVersions));
  }

  async getBase(opKey: string, etag: string): Promise<string | undefined> {
    const base = this.bases.get(opKey)?.find((b) => b.etag === etag);
    return base && base.expiresAt > Date.now() ? base.text : undefined;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bases.clear();
  }
}

/**
 * The store shared by every replica, in Redis (`REDIS_URL`), keys under the cache's prefix:
 * `m:<key>` (the version of a stored response: data tag and store time; what a lookup reads), `r:<key>` (the
 * response: metadata JSON, newline, `data` JSON; both with the response's TTL), `i:<index>` (sorted set of the
 * response keys filed under an index, scored by their expiry, expired ones dropped at each add; its TTL is the
 * longest of its members'), `x:<index>` (time of the index's last invalidation, {@link TOMBSTONE_TTL_MS}),
 * `b:<opKey>` (list of base-version ETags, newest first) and `b:<opKey>:<etag>` (a base version's text).
 * Every call goes through {@link RedisConnections.call} (deadline, no offline queue); keys are single-key
 * commands (and one single-key script), so Redis Cluster spreads them.
 */
export class RedisResponseCacheStore implements ResponseCacheStore {
  readonly shared = true;

  /**
   * @param connections - from `createRedisConnections` (owned by this store: {@link close} closes them).
   * @param prefix - prefix of every key, e.g. `roam:cache:`.
   */
  /**
   * Responses already read, by key, data tag and store time: a lookup reads only the small `m:<key>` from Redis
   * (so an invalidation is seen at once, as with no copy) and fetches and parses the response only when this
   * replica has not read that very version yet.
   */
  private readonly local: LRUCache<string, StoredResponse>;

  /**
   * @param connections - from `createRedisConnections` (owned by this store: {@link close} closes them).
   * @param prefix - prefix of every key, e.g. `roam:cache:`.
   * @param localBytes - bound of the local copies of responses already read, in bytes (of JSON text). @default 64 MiB
   */
  constructor(
    private readonly connections: RedisConnections,
    private readonly prefix: string,
    localBytes = 64 * 1024 * 1024,
  ) {
    this.local = new LRUCache<string, StoredResponse>({ maxSize: localBytes, sizeCalculation: (e) => e.data.length + 256 });
  }

  async get(keys: readonly string[]): Promise<{ key: string; entry: StoredResponse } | undefined> {
    const p = this.prefix;
    return this.connections.call('cache get', async (c) => {
      const versions = await Promise.all(keys.map((k) => c.get(p + 'm:' + k)));
      const i = versions.findIndex((v) => v !== null);
      if (i < 0) return undefined;
      const key = keys[i]!;
      const localKey = `${key} ${versions[i]}`;
      const known = this.local.get(localKey);
      if (known) return { key, entry: known };
      const value = await c.getBuffer(p + 'r:' + key);
      if (!value) return undefined; // invalidated between the two reads
      const entry = decodeEntry(value);
      this.local.set(localKey, entry);
      return { key, entry };
    });
  }

  async set(key: string, entry: StoredResponse, ttlMs: number, startedAt: number): Promise<boolean> {
    const p = this.prefix;
    return this.connections.call('cache set', async (c) => {
      // file it first, then check the tombstones: an invalidation either deleted it or is seen here
      await Promise.all([
        c.set(p + 'r:' + key, encodeEntry(entry), 'PX', ttlMs).then(() => c.set(p + 'm:' + key, `${entry.etag ?? ''} ${entry.storedAt}`, 'PX', ttlMs)),
        // scored by expiry: members of expired responses are dropped here, so a hot index never grows past its live responses
        ...entry.indexes.map((name) => c.eval(FILE_IN_INDEX, 1, p + 'i:' + name, String(entry.storedAt + ttlMs), key, String(Date.now()))),
      ]);
      const times = await Promise.all(entry.indexes.map((name) => c.get(p + 'x:' + name)));
      if (times.some((t) => t !== null && Number(t) >= startedAt)) {
        await Promise.all([c.del(p + 'm:' + key), c.del(p + 'r:' + key)]);
        return false;
      }
      return true;
    });
  }

  async invalidate(indexes: readonly string[], now: number): Promise<number> {
    const p = this.prefix;
    return this.connections.call('cache invalidate', async (c) => {
      const counts = await Promise.all(
        indexes.map(async (name) => {
          await c.set(p + 'x:' + name, String(now), 'PX', TOMBSTONE_TTL_MS);
          const keys = await c.zrange(p + 'i:' + name, 0, -1);
          // the version key first: from then on a lookup misses
          const deleted = await Promise.all(keys.map(async (k): Promise<number> => ((await c.del(p + 'm:' + k)) + (await c.del(p + 'r:' + k)) > 0 ? 1 : 0)));
          await c.del(p + 'i:' + name);
          return deleted.reduce((a: number, b) => a + b, 0);
        }),
      );
      return counts.reduce((a, b) => a + b, 0);
    });
  }

  async putBase(opKey: string, etag: string, text: string, maxVersions: number, ttlMs: number): Promise<void> {
    const list = this.prefix + 'b:' + opKey;
    await this.connections.call('delta base put', async (c) => {
      if ((await c.lindex(list, 0)) === etag) return;
      await c.set(`${list}:${etag}`, text, 'PX', ttlMs);
      await c.lrem(list, 0, etag);
      await c.lpush(list, etag);
      const dropped = await c.lrange(list, maxVersions, -1);
      await c.ltrim(list, 0, maxVersions - 1);
      await c.pexpire(list, ttlMs);
      if (dropped.length > 0) await Promise.all(dropped.map((e) => c.del(`${list}:${e}`)));
    });
  }

  async getBase(opKey: string, etag: string): Promise<string | undefined> {
    const text = await this.connections.call('delta base get', (c) => c.get(`${this.prefix}b:${opKey}:${etag}`));
    return text ?? undefined;
  }

  async close(): Promise<void> {
    this.local.clear();
    await this.connections.close();
  }
}

/**
 * Files a response key in an index (one atomic step, any Redis from 6): adds it scored by its expiry (ms), drops
 * the members already expired, and sets the index to expire with its longest-lived member.
 * KEYS[1] index; ARGV expiry, response key, now.
 */
const FILE_IN_INDEX = `redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return 1`;

/** A stored response as one Redis value: its metadata as JSON, a newline, then the `data` JSON text as it is (not escaped into a string). */
function encodeEntry(entry: StoredResponse): string {
  return `${JSON.stringify({ hints: entry.hints, storedAt: entry.storedAt, indexes: entry.indexes, etag: entry.etag })}\n${entry.data}`;
}

/** @returns the response {@link encodeEntry} wrote. @throws SyntaxError for a value it did not write. */
function decodeEntry(value: Buffer): StoredResponse {
  const newline = value.indexOf(10);
  if (newline < 0) throw new SyntaxError('not a stored response');
  const meta = JSON.parse(value.toString('utf8', 0, newline)) as Omit<StoredResponse, 'data'>;
  return { ...meta, data: value.toString('utf8', newline + 1) };
}
