import { redisKeyspace, type RedisKeyspace } from '@roam/redis';

/**
 * Every Redis key and channel name the persisted-query store uses, built on the shared key builder
 * (`@roam/redis` {@link redisKeyspace}) under a required prefix: by default the `pq` namespace of the
 * root prefix, `roam:pq:` (see `REDIS_NAMESPACES` in `@roam/redis` for the whole layout). In Redis
 * Cluster mode the prefix is wrapped in a hash tag (`{roam:pq:}`) so every key lands in one slot and
 * multi-key transactions stay legal.
 *
 * Layout (`P` = prefix):
 * - `P op:<id>` hash `{body, name?, type?}`: a registered operation;
 * - `P op:<id>:clients` set of scope tokens it was pushed under;
 * - `P ops` set of every registered id (for `list`);
 * - `P scopes` set of every scope token in use; `P scope:<token>` set of ids pushed under it;
 * - `P apq:<id>` string: text registered by a client through APQ (optional TTL);
 * - `P revoked` pub/sub channel: `{"ids":[…]}` per revocation.
 */
export interface RedisKeys {
  /** The prefix in use, hash tag included. */
  readonly prefix: string;
  /** The shared keyspace the names are built in (channels are `keyspace.key(name)`). */
  readonly keyspace: RedisKeyspace;
  operation(id: string): string;
  operationClients(id: string): string;
  operations(): string;
  scopes(): string;
  scope(token: string): string;
  automatic(id: string): string;
  revocationChannel(): string;
}

/** Name of the revocation channel inside the persisted-query keyspace. */
export const REVOCATION_CHANNEL = 'revoked';

/**
 * @param prefix - non-empty, e.g. `roam:pq:`; every key starts with it.
 * @param hashTag - wrap the prefix in `{…}` (Redis Cluster).
 * @returns the persisted-query key names.
 * @throws Error when `prefix` is empty.
 */
export function redisKeys(prefix: string, hashTag = false): RedisKeys {
  const keyspace = redisKeyspace(prefix, { hashTag });
  return {
    prefix: keyspace.prefix,
    keyspace,
    operation: (id) => keyspace.key('op', id),
    operationClients: (id) => keyspace.key('op', id, 'clients'),
    operations: () => keyspace.key('ops'),
    scopes: () => keyspace.key('scopes'),
    scope: (token) => keyspace.key('scope', token),
    automatic: (id) => keyspace.key('apq', id),
    revocationChannel: () => keyspace.key(REVOCATION_CHANNEL),
  };
}
