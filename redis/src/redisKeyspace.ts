import type { RedisNamespace } from './redisNamespaces';

/** Options of {@link redisKeyspace}. */
export interface RedisKeyspaceOptions {
  /**
   * Wrap the prefix in a Redis Cluster hash tag (`{roam:pq:}`), so every key of the keyspace hashes to one
   * slot and multi-key commands (MULTI, pipelines over several keys) stay legal. Left as is when the
   * prefix already holds a tag (`{app}:pq:`). Use it for keyspaces with multi-key operations; a cache with
   * many independent keys should not use it (one slot would carry all of them).
   * @default false
   */
  readonly hashTag?: boolean;
}

/** Builds the key and channel names under one prefix. Immutable. */
export interface RedisKeyspace {
  /** The prefix every name starts with, hash tag included, e.g. `{roam:pq:}`. */
  readonly prefix: string;
  /**
   * @param parts - joined with `:` after the prefix, e.g. `key('op', id, 'clients')` → `roam:pq:op:<id>:clients`.
   * @returns the full key or channel name.
   * @throws Error when no part is given.
   */
  key(...parts: readonly string[]): string;
  /**
   * A keyspace for one Redis user under this one: prefix `<prefix><name>:` (tag as in `options`).
   * @param name - one of the namespaces listed in {@link REDIS_NAMESPACES}.
   */
  namespace(name: RedisNamespace, options?: RedisKeyspaceOptions): RedisKeyspace;
}

const HASH_TAG = /\{[^}]+\}/;

/**
 * The one key builder of every Redis user (the BullMQ `QueueKeys` habit): all names start with a
 * required prefix, so deployments and test runs sharing one Redis never see each other's keys.
 *
 * @param prefix - non-empty, e.g. `roam:` (root) or `roam:pq:` (one user's); conventionally ends in `:`.
 * @param options - hash tag for Redis Cluster.
 * @returns the keyspace.
 * @throws Error when `prefix` is empty.
 */
export function redisKeyspace(prefix: string, options: RedisKeyspaceOptions = {}): RedisKeyspace {
  if (prefix.length === 0) throw new Error('The Redis key prefix must not be empty.');
  const tagged = options.hashTag === true && !HASH_TAG.test(prefix) ? `{${prefix}}` : prefix;
  return Object.freeze({
    prefix: tagged,
    key(...parts: readonly string[]): string {
      if (parts.length === 0) throw new Error('A Redis key needs at least one part after the prefix.');
      return tagged + parts.join(':');
    },
    namespace(name: RedisNamespace, nested: RedisKeyspaceOptions = {}): RedisKeyspace {
      return redisKeyspace(`${prefix}${name}:`, nested);
    },
  });
}
