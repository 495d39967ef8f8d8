/**
 * Every Redis key and channel name the persisted-query store uses, built in this one place under a
 * required prefix (the BullMQ `QueueKeys` habit). In Redis Cluster mode the prefix is wrapped in a hash
 * tag (`{roam:pq:}`) so every key lands in one slot and multi-key transactions stay legal.
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
  readonly prefix: string;
  operation(id: string): string;
  operationClients(id: string): string;
  operations(): string;
  scopes(): string;
  scope(token: string): string;
  automatic(id: string): string;
  revocationChannel(): string;
}

/**
 * @param prefix - non-empty, e.g. `roam:pq:`; every key starts with it.
 * @param hashTag - wrap the prefix in `{…}` (Redis Cluster).
 * @throws Error when `prefix` is empty.
 */
export function redisKeys(prefix: string, hashTag = false): RedisKeys {
  if (prefix.length === 0) throw new Error('The persisted-query key prefix must not be empty.');
  const p = hashTag && !/\{[^}]+\}/.test(prefix) ? `{${prefix}}` : prefix;
  return {
    prefix: p,
    operation: (id) => `${p}op:${id}`,
    operationClients: (id) => `${p}op:${id}:clients`,
    operations: () => `${p}ops`,
    scopes: () => `${p}scopes`,
    scope: (token) => `${p}scope:${token}`,
    automatic: (id) => `${p}apq:${id}`,
    revocationChannel: () => `${p}revoked`,
  };
}
