import type { ChainableCommander } from 'ioredis';
import { createRedisConnections, RedisChannels, RedisUnavailableError, type RedisClient, type RedisConnections, type RedisLogger, type WaitUntilReadyOptions } from '@roam/redis';
import { redisKeys, REVOCATION_CHANNEL, type RedisKeys } from './redisKeys';
import { compareScopes, parseScopeToken, scopeToken } from './scopeToken';
import {
  ConflictingOperationError,
  StoreUnavailableError,
  type ClientScope,
  type LookupResult,
  type PersistedOperationInput,
  type PersistedQueryStore,
  type PushResult,
  type RevocationListener,
  type StoredOperation,
} from './types';

/** Options of {@link RedisPersistedQueryStore}. */
export interface RedisStoreOptions {
  /** `REDIS_URL`: standalone, TLS, Sentinel or Cluster form (`parseRedisUrl` of `@roam/redis`). */
  readonly url: string;
  /** Prefix of every key and channel. @default "roam:pq:" */
  readonly keyPrefix?: string;
  /** Deadline of every call, in ms; past it the call rejects with StoreUnavailableError. @default 100 */
  readonly timeoutMs?: number;
  /** Gets one line per connection state change (ready, unreachable, lost, reconnected). @default silent */
  readonly logger?: RedisLogger;
  /** Called with every connection error (ioredis `error` events), besides the state log. */
  readonly onError?: (error: Error) => void;
}

type ExecResult = [error: Error | null, result: unknown][] | null;

function results(exec: ExecResult): unknown[] {
  if (!exec) throw new Error('transaction aborted');
  return exec.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/**
 * The shared store: operations in Redis under one key prefix ({@link redisKeys}), revocations
 * broadcast on a pub/sub channel read by a separate subscriber connection, both through the shared
 * Redis layer (`@roam/redis`: {@link createRedisConnections}, {@link RedisChannels}). Multi-key writes
 * go in one MULTI transaction; reads of several keys in one pipeline. Every call has a deadline and
 * never waits in ioredis's offline queue: while the connection is not ready a call fails at once with
 * {@link StoreUnavailableError}, and the client reconnects in the background (at most 1 s apart),
 * logging one line per state change.
 */
export class RedisPersistedQueryStore implements PersistedQueryStore {
  private readonly connections: RedisConnections;
  private readonly channels: RedisChannels;
  private readonly keys: RedisKeys;
  private readonly listeners = new Set<RevocationListener>();
  private subscribed: Promise<void> | undefined;

  /** @throws Error when the URL is malformed or the prefix empty. */
  constructor(options: RedisStoreOptions) {
    this.connections = createRedisConnections(options.url, {
      commandTimeoutMs: options.timeoutMs ?? 100,
      name: 'persisted queries',
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
    this.keys = redisKeys(options.keyPrefix ?? 'roam:pq:', this.connections.isCluster);
    this.channels = new RedisChannels(this.connections, this.keys.keyspace, { name: 'persisted queries', ...(options.logger ? { logger: options.logger } : {}) });
  }

  private get client(): RedisClient {
    return this.connections.command;
  }

  /** The key builder in use (tests read keys through it). */
  get keyBuilder(): RedisKeys {
    return this.keys;
  }

  /** @returns whether the command connection is ready now (connected; calls are sent rather than failing at once). */
  isConnected(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Waits until the command connection is ready.
   * @param timeoutMs - how long to wait, in ms.
   * @param options - `failFast`: reject at the first connection failure (e.g. `connection refused at host:port`), for `roam-pq`.
   * @throws StoreUnavailableError when it is not ready in time (or, with `failFast`, at the first failure).
   */
  async waitUntilReady(timeoutMs: number, options: WaitUntilReadyOptions = {}): Promise<void> {
    try {
      await this.connections.waitUntilReady(timeoutMs, options);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  private async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.connections.call(what, work, (e) => e instanceof ConflictingOperationError);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  lookup(id: string): Promise<LookupResult> {
    return this.run('lookup', async () => {
      const [hash, tokens, automatic] = results(await this.client.pipeline().hgetall(this.keys.operation(id)).smembers(this.keys.operationClients(id)).get(this.keys.automatic(id)).exec()) as [
        Record<string, string>,
        string[],
        string | null,
      ];
      const operation = toStored(id, hash, tokens);
      return { ...(operation ? { operation } : {}), ...(automatic !== null ? { automaticBody: automatic } : {}) };
    });
  }

  push(operations: readonly PersistedOperationInput[], scope: ClientScope = {}): Promise<PushResult> {
    return this.run('push', async () => {
      const ids = [...new Set(operations.map((o) => o.id))];
      const read = this.client.pipeline();
      for (const id of ids) read.hget(this.keys.operation(id), 'body');
      const bodies = results(await read.exec()) as (string | null)[];
      const known = new Map(ids.map((id, i) => [id, bodies[i]]));
      for (const op of operations) {
        const body = known.get(op.id);
        if (body != null && body !== op.body) throw new ConflictingOperationError(`Operation ${op.id} is already registered with a different text.`);
      }
      const token = scopeToken(scope);
      const write = this.client.multi();
      for (const op of operations) {
        const fields: Record<string, string> = { body: op.body };
        if (op.name) fields.name = op.name;
        if (op.type) fields.type = op.type;
        write.hset(this.keys.operation(op.id), fields).sadd(this.keys.operationClients(op.id), token).sadd(this.keys.operations(), op.id).sadd(this.keys.scope(token), op.id);
      }
      write.sadd(this.keys.scopes(), token);
      results(await write.exec());
      await this.publish(ids); // replicas drop cached entries whose scopes just changed
      const added = ids.filter((id) => known.get(id) == null).length;
      return { added, existing: ids.length - added };
    });
  }

  putAutomatic(id: string, body: string, ttlSeconds: number): Promise<void> {
    return this.run('APQ write', async () => {
      if (ttlSeconds > 0) await this.client.set(this.keys.automatic(id), body, 'EX', ttlSeconds);
      else await this.client.set(this.keys.automatic(id), body);
    });
  }

  list(filter: { readonly clientName?: string } = {}): Promise<StoredOperation[]> {
    return this.run('list', async () => {
      const ids = (await this.client.smembers(this.keys.operations())).sort();
      const read = this.client.pipeline();
      for (const id of ids) read.hgetall(this.keys.operation(id)).smembers(this.keys.operationClients(id));
      const values = results(await read.exec());
      const out: StoredOperation[] = [];
      ids.forEach((id, i) => {
        const op = toStored(id, values[2 * i] as Record<string, string>, values[2 * i + 1] as string[]);
        if (op && (filter.clientName === undefined || op.clients.some((c) => c.clientName === filter.clientName))) out.push(op);
      });
      return out;
    });
  }

  revoke(id: string): Promise<boolean> {
    return this.run('revoke', async () => {
      const tokens = await this.client.smembers(this.keys.operationClients(id));
      const tx = this.client.multi().del(this.keys.operation(id), this.keys.automatic(id), this.keys.operationClients(id)).srem(this.keys.operations(), id);
      for (const token of tokens) tx.srem(this.keys.scope(token), id);
      const [deleted] = results(await tx.exec()) as [number];
      if (deleted > 0) await this.publish([id]);
      return deleted > 0;
    });
  }

  revokeClient(clientName: string, clientVersion?: string): Promise<string[]> {
    return this.run('revoke', async () => {
      const tokens = (await this.client.smembers(this.keys.scopes())).filter((token) => {
        const s = parseScopeToken(token);
        return s.clientName === clientName && (clientVersion === undefined || s.clientVersion === clientVersion);
      });
      if (tokens.length === 0) return [];
      const read = this.client.pipeline();
      for (const token of tokens) read.smembers(this.keys.scope(token));
      const idLists = results(await read.exec()) as string[][];
      const ids = [...new Set(idLists.flat())].sort();
      const tx: ChainableCommander = this.client.multi();
      for (const id of ids) tx.srem(this.keys.operationClients(id), ...tokens);
      for (const token of tokens) tx.del(this.keys.scope(token)).srem(this.keys.scopes(), token);
      for (const id of ids) tx.scard(this.keys.operationClients(id));
      const out = results(await tx.exec());
      const remaining = out.slice(out.length - ids.length) as number[];
      const orphans = ids.filter((_, i) => remaining[i] === 0);
      if (orphans.length > 0) {
        const cleanup = this.client.multi();
        for (const id of orphans) cleanup.del(this.keys.operation(id), this.keys.operationClients(id)).srem(this.keys.operations(), id);
        results(await cleanup.exec());
      }
      if (ids.length > 0) await this.publish(ids);
      return ids;
    });
  }

  private async publish(ids: readonly string[]): Promise<void> {
    await this.channels.publish(REVOCATION_CHANNEL, { ids });
  }

  /**
   * Subscribes (on the separate subscriber connection, opened on first use) to the revocation
   * channel. After the subscriber reconnects, listeners get `'all'`: revocations sent while it was
   * away are lost, so caches must be dropped. An unreadable message also means `'all'` (safe side).
   */
  async onRevoke(listener: RevocationListener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    this.subscribed ??= this.subscribeRevocations();
    await this.subscribed;
    return async () => {
      this.listeners.delete(listener);
    };
  }

  private async subscribeRevocations(): Promise<void> {
    const notify = (ids: readonly string[] | 'all'): void => {
      for (const l of [...this.listeners]) l(ids);
    };
    this.channels.onReconnect(() => notify('all'));
    // Waits for the subscription at most 1 s: with Redis down it stays queued and completes on reconnect.
    await this.channels.subscribe(
      REVOCATION_CHANNEL,
      (payload) => {
        const ids = (payload as { ids?: unknown } | null)?.ids;
        notify(Array.isArray(ids) && ids.every((x) => typeof x === 'string') ? (ids as string[]) : 'all');
      },
      () => notify('all'),
    );
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.channels.close();
    await this.connections.close();
  }
}

/** Maps the Redis layer's failure to the store's retryable error; other errors pass unchanged. */
function toStoreError(error: unknown): unknown {
  return error instanceof RedisUnavailableError ? new StoreUnavailableError(error.message, { cause: error }) : error;
}

function toStored(id: string, hash: Record<string, string>, tokens: string[]): StoredOperation | undefined {
  if (hash.body === undefined || tokens.length === 0) return undefined;
  return {
    id,
    body: hash.body,
    ...(hash.name ? { name: hash.name } : {}),
    ...(hash.type ? { type: hash.type } : {}),
    clients: tokens.map(parseScopeToken).sort(compareScopes),
  };
}
