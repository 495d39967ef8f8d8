import { createHash } from 'node:crypto';
import type { RedisChannels } from '@roam/redis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ExecutableOperation, Execution } from '../executor/RoamExecutor';
import { etagOf } from '../http/etag';
import type { OperationExecutor } from '../pipeline/OperationPipeline';
import type { GraphQLRequestEntry, OperationResult, PipelinePlugin, RequestInfo } from '../pipeline/types';
import type { SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import type { ResponseCacheStore, StoredResponse } from './ResponseCacheStore';

/** Response header saying what the cache did: `HIT`, `MISS` (executed; stored if cacheable) or `BYPASS` (the store failed). */
export const CACHE_STATUS_HEADER = 'x-roam-cache';

/** Channel (under the cache's key prefix) on which subgraphs and tools publish invalidations: `<prefix>invalidate`. */
export const INVALIDATION_CHANNEL = 'invalidate';

/**
 * What to invalidate (the admin endpoint's body, and the pub/sub message of {@link INVALIDATION_CHANNEL}):
 * `entities` as `Type:key` (e.g. `Product:1`; the key values joined with `:` in `@key` order), `types` by
 * typename (every response holding any entity of the type), `operations` by operation name.
 */
export const INVALIDATION_SCHEMA = z.strictObject({
  entities: z
    .array(z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*:.+$/, 'entities are "Type:key", e.g. "Product:1"'))
    .max(1000)
    .optional(),
  types: z
    .array(z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, 'types are GraphQL type names'))
    .max(1000)
    .optional(),
  operations: z
    .array(z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, 'operations are GraphQL operation names'))
    .max(1000)
    .optional(),
});

/** A parsed invalidation request. */
export type Invalidation = z.output<typeof INVALIDATION_SCHEMA>;

/**
 * @param invalidation - what changed.
 * @returns the index names to clear: an entity clears its own index and the keyless index of its type
 *   (responses holding a `Type` object whose key was not fetched), a type its type index, an operation its name's.
 */
export function invalidationIndexes(invalidation: Invalidation): string[] {
  const names = new Set<string>();
  for (const tag of invalidation.entities ?? []) {
    names.add(`e:${tag}`);
    names.add(`w:${tag.slice(0, tag.indexOf(':'))}`);
  }
  for (const type of invalidation.types ?? []) names.add(`t:${type}`);
  for (const name of invalidation.operations ?? []) names.add(`o:${name}`);
  return [...names];
}

/**
 * @param entities - an execution's entity tags (`Type:key` or a keyless `Type`).
 * @param operationName - the operation's name, if any.
 * @returns the index names a response is filed under: `e:Type:key`, `w:Type` (keyless), `t:Type`, `o:name`.
 */
export function indexNamesOf(entities: readonly string[], operationName: string | undefined): string[] {
  const names = new Set<string>();
  for (const tag of entities) {
    const colon = tag.indexOf(':');
    if (colon < 0) {
      names.add(`w:${tag}`);
      names.add(`t:${tag}`);
    } else {
      names.add(`e:${tag}`);
      names.add(`t:${tag.slice(0, colon)}`);
    }
  }
  if (operationName) names.add(`o:${operationName}`);
  return [...names];
}

/** What the cache did for one execution, read by its pipeline plugin. */
type Outcome =
  | { readonly state: 'HIT'; readonly storedAt: number; readonly key: string }
  | { readonly state: 'BYPASS' }
  | {
      readonly state: 'MISS';
      readonly publicKey: string;
      readonly privateKey: string | undefined;
      readonly execution: Execution;
      readonly operationName: string | undefined;
      readonly startedAt: number;
    };

/** What {@link ResponseCache} needs. */
export interface ResponseCacheOptions {
  readonly store: ResponseCacheStore;
  /** Largest `data` (JSON bytes) stored. */
  readonly maxEntryBytes: number;
  readonly logger: Logger;
  /** Pub/sub under the cache's prefix (Redis), for invalidations published by subgraphs; undefined in memory mode. */
  readonly channels?: RedisChannels;
  /** Told about lookups and invalidations (metrics); must not throw. @default none */
  readonly observer?: ResponseCacheObserver;
}

/** What {@link ResponseCache} reports (`roam_response_cache_requests_total`, `roam_response_cache_invalidations_total`). */
export interface ResponseCacheObserver {
  /** A query's lookup ended: `HIT`, `MISS` (executed) or `BYPASS` (the store failed), with the request's client name as sent. */
  lookup(state: 'HIT' | 'MISS' | 'BYPASS', clientName: string | undefined): void;
  /** An invalidation by a mutation's result, a message published on the channel (`subgraph`) or the admin endpoint. */
  invalidation(source: 'mutation' | 'subgraph' | 'admin'): void;
}

/** The observer's name of each {@link ResponseCache.invalidate} source; `replay` (re-applying failed ones) is not counted. */
const OBSERVED_SOURCES: Readonly<Record<string, 'mutation' | 'subgraph' | 'admin'>> = { mutation: 'mutation', pubsub: 'subgraph', admin: 'admin' };

const CACHEABLE = /^max-age=(\d+), (public|private)$/;

/**
 * The response cache (issue 14): query responses stored by operation, variables and privacy scope, filed
 * under the entities they hold, and dropped the moment one of those entities changes.
 *
 * - {@link wrap} puts it around the executor (its `@defer` path included): a query is looked up before it executes (the shared key, then
 *   the caller's private key); a hit returns the stored data and hints without calling any subgraph. A miss
 *   executes through the executor (whose in-flight coalescing makes concurrent misses of one key share one
 *   execution: stampede protection). A mutation executes, then invalidates the entities its result holds
 *   before its response is sent.
 * - {@link plugin} (after the cache-control plugin) stores a missed response when its `Cache-Control` is
 *   `max-age=N` with N > 0 (no errors, status 200: the cache-control plugin says `no-store` otherwise);
 *   `private` only for callers with credentials, under their private key. It sets `x-roam-cache` and `Age`.
 * - {@link invalidate} serves the admin endpoint and the pub/sub channel.
 *
 * A failed store read is a miss (`BYPASS`), a failed write or invalidation is logged; neither reaches the client.
 */
export class ResponseCache {
  private readonly outcomes = new WeakMap<object, Outcome>();
  /** JSON text and data tag of `{"data": <hit data>}`, by the hit's data object. */
  private readonly texts = new WeakMap<object, { jsonText: string; etag: string }>();
  private unsubscribe: (() => Promise<void>) | undefined;
  /** Public responses this replica stored, with their hits, for warming (bounded). */
  private readonly popular = new LRUCache<string, { entry: GraphQLRequestEntry; hits: number; expiresAt: number; maxAgeMs: number; refreshing: boolean }>({ max: 10_000 });
  /** Requests of warming refreshes (they skip the lookup). */
  private readonly refreshes = new WeakSet<RequestInfo>();
  private warmTop = 0;
  private warmTimer: NodeJS.Timeout | undefined;
  /** Invalidations that could not reach the store, replayed when it answers again (bounded). */
  private pending: string[] = [];

  constructor(private readonly options: ResponseCacheOptions) {}

  /**
   * @param executor - the executor to put the cache around (Roam's, with `collectEntityTags`).
   * @returns an executor that answers cached queries and invalidates after mutations.
   */
  wrap(executor: OperationExecutor): OperationExecutor {
    const wrapped: OperationExecutor = {
      execute: async (snapshot: SupergraphSnapshot, op: ExecutableOperation, scopeKey: string, request: RequestInfo): Promise<Execution> => {
        if (op.operation.operation === 'mutation') {
          const execution = await executor.execute(snapshot, op, scopeKey, request);
          if (execution.entities && execution.entities.length > 0) {
            const entities = execution.entities.filter((t) => t.includes(':'));
            const types = execution.entities.filter((t) => !t.includes(':'));
            await this.invalidate({ entities, types }, 'mutation');
          }
          return execution;
        }
        if (op.operation.operation !== 'query') return executor.execute(snapshot, op, scopeKey, request);
        const publicKey = cacheKey([snapshotId(snapshot), op.documentHash, op.operationName ?? '', JSON.stringify(op.variables)]);
        // anonymous callers (no credentials) share nothing private: their private answers are not cached
        const privateKey = scopeKey.split('\u0000').join('') === '' ? undefined : cacheKey([publicKey, scopeKey]);
        let found: { key: string; entry: StoredResponse } | undefined;
        let failed = false;
        try {
          // a warming refresh always executes
          if (!this.refreshes.has(request)) found = await this.options.store.get(privateKey ? [publicKey, privateKey] : [publicKey]);
        } catch (error) {
          failed = true;
          this.options.logger.debug({ err: error }, 'response cache read failed; executing');
        }
        if (found) {
          const hints = [...found.entry.hints];
          // the stores keep one parsed copy per version; the pipeline only reads `data` (extensions go beside it)
          const data = found.entry.parsed ?? (JSON.parse(found.entry.data) as Record<string, unknown>);
          found.entry.parsed = data;
          if (!this.texts.has(data)) {
            const jsonText = `{"data":${found.entry.data}}`;
            this.texts.set(data, { jsonText, etag: found.entry.etag ?? etagOf(jsonText) });
          }
          const execution: Execution = { data, errors: [], hints };
          this.outcomes.set(hints, { state: 'HIT', storedAt: found.entry.storedAt, key: found.key });
          return execution;
        }
        const arrivedAt = Date.now();
        const execution = await executor.execute(snapshot, op, scopeKey, request);
        const hints = [...execution.hints];
        // a coalesced execution may have started before this request arrived: its start decides whether an
        // invalidation since then forbids storing its answer
        const startedAt = Math.min(arrivedAt, execution.startedAt ?? arrivedAt);
        this.outcomes.set(hints, failed ? { state: 'BYPASS' } : { state: 'MISS', publicKey, privateKey, execution, operationName: op.operationName, startedAt });
        return { ...execution, hints };
      },
    };
    const incremental = executor.executeIncremental?.bind(executor);
    if (incremental) {
      // @defer (README "Incremental delivery"): a deferred query streams past the cache (neither looked up nor
      // stored: its parts are not one response); a mutation runs whole through `execute` above, so the entities it
      // returns are invalidated before anything is sent, and its answer comes as one part (@defer is a hint).
      wrapped.executeIncremental = async (snapshot, op, request) => {
        if (op.operation.operation !== 'mutation') return incremental(snapshot, op, request);
        const initial = await wrapped.execute(snapshot, op, '', request ?? ({} as RequestInfo));
        const none: AsyncIterableIterator<never> = {
          next: () => Promise.resolve({ done: true, value: undefined }),
          [Symbol.asyncIterator]() {
            return this;
          },
        };
        return { initial, pending: [], hasNext: false, subsequent: none };
      };
    }
    return wrapped;
  }

  /** @returns the pipeline plugin that stores missed responses and sets `x-roam-cache` and `Age`; put it after the cache-control plugin. */
  plugin(): PipelinePlugin {
    return {
      name: 'response-cache',
      willSendResult: (ctx, result, hints, executed) => {
        if (!executed) return;
        const outcome = this.outcomes.get(hints);
        if (!outcome) return;
        result.headers.set(CACHE_STATUS_HEADER, outcome.state);
        // a warming refresh is the cache's own request, not a lookup
        if (!this.refreshes.has(ctx.request)) this.options.observer?.lookup(outcome.state, ctx.request.clientName);
        if (outcome.state === 'HIT') {
          result.headers.set('age', String(Math.max(0, Math.floor((Date.now() - outcome.storedAt) / 1000))));
          const tracked = this.popular.get(outcome.key);
          if (tracked) tracked.hits++;
          return;
        }
        if (outcome.state !== 'MISS') return;
        const match = CACHEABLE.exec(result.headers.get('cache-control') ?? '');
        if (!match || result.status !== 200 || result.body.errors?.length || result.body.data == null) return;
        const maxAge = Number(match[1]);
        const key = match[2] === 'public' ? outcome.publicKey : outcome.privateKey;
        if (maxAge <= 0 || !key) return;
        const data = JSON.stringify(result.body.data);
        if (Buffer.byteLength(data) > this.options.maxEntryBytes) return;
        const entry: StoredResponse = {
          data,
          hints: outcome.execution.hints,
          storedAt: Date.now(),
          indexes: indexNamesOf(outcome.execution.entities ?? [], outcome.operationName),
          etag: etagOf(`{"data":${data}}`),
        };
        if (key === outcome.publicKey && this.warmTop > 0) {
          const tracked = this.popular.get(key);
          this.popular.set(key, { entry: ctx.entry, hits: tracked?.hits ?? 0, expiresAt: entry.storedAt + maxAge * 1000, maxAgeMs: maxAge * 1000, refreshing: false });
        }
        this.options.store.set(key, entry, maxAge * 1000, outcome.startedAt).then(
          (kept) => {
            if (!kept) this.options.logger.debug({ key }, 'response not cached: invalidated while it was computed');
          },
          (error: unknown) => this.options.logger.warn({ err: error }, 'response cache write failed; the response was sent uncached'),
        );
      },
    };
  }

  /**
   * @param body - a result's body on its way to the HTTP encoder.
   * @returns the JSON text and data tag of a cache hit's body that holds nothing but its `data` (no plugin added
   *   `errors` or `extensions`), so the HTTP layer neither serialises nor hashes it again; undefined otherwise.
   */
  knownText(body: OperationResult['body']): { jsonText: string; etag: string } | undefined {
    if (body.data === null || typeof body.data !== 'object') return undefined;
    const keys = Object.keys(body);
    return keys.length === 1 && keys[0] === 'data' ? this.texts.get(body.data) : undefined;
  }

  /**
   * Drops every cached response holding one of the entities or types, or of one of the operations.
   *
   * @param invalidation - what changed.
   * @param source - for the log line: `mutation`, `admin`, `pubsub`.
   * @returns how many responses were dropped (from the shared store: on every replica at once); 0 when the
   *   store failed (logged, kept to replay when it answers again).
   */
  async invalidate(invalidation: Invalidation, source: string): Promise<number> {
    const indexes = invalidationIndexes(invalidation);
    const observed = OBSERVED_SOURCES[source];
    if (observed && indexes.length > 0) this.options.observer?.invalidation(observed);
    if (indexes.length === 0 && this.pending.length === 0) return 0;
    const replayed = this.pending;
    this.pending = [];
    try {
      const count = await this.options.store.invalidate([...new Set([...replayed, ...indexes])], Date.now());
      this.options.logger.debug({ source, indexes, count }, 'response cache invalidated');
      return count;
    } catch (error) {
      this.pending = [...new Set([...replayed, ...this.pending, ...indexes])].slice(-10_000);
      this.options.logger.warn({ err: error, source, indexes }, 'response cache invalidation failed; it is retried with the next one');
      return 0;
    }
  }

  /** Starts listening on {@link INVALIDATION_CHANNEL} (with Redis). Malformed messages are logged and dropped. */
  async start(): Promise<void> {
    const channels = this.options.channels;
    if (!channels) return;
    // invalidations that failed while Redis was away are applied as soon as it is back
    channels.onReconnect(() => void this.invalidate({}, 'replay'));
    this.unsubscribe = await channels.subscribe(INVALIDATION_CHANNEL, (payload) => {
      const parsed = INVALIDATION_SCHEMA.safeParse(payload);
      if (!parsed.success) {
        this.options.logger.warn({ issue: parsed.error.issues[0]?.message }, 'dropped a malformed cache invalidation message');
        return;
      }
      void this.invalidate(parsed.data, 'pubsub');
    });
  }

  /**
   * Warming (issue 14 item 5): every second, of the `top` public responses with the most hits (on this
   * replica, since they were stored), those within 20 % of their `max-age` (at least 1.5 s) of expiring are
   * run again through the whole pipeline, as client `roam-cache-warmer` without credentials, skipping the
   * lookup; the fresh response replaces the old one (a response with errors is not stored, and the old
   * one expires). Hit counts halve at each refresh, so popularity follows traffic.
   *
   * @param replay - runs one request entry through the pipeline (its `willSendResult` hooks store the result).
   * @param top - how many responses to keep warm.
   */
  startWarming(replay: (entry: GraphQLRequestEntry, request: RequestInfo) => Promise<unknown>, top: number): void {
    this.warmTop = top;
    this.warmTimer = setInterval(() => {
      const now = Date.now();
      const ranked = [...this.popular.entries()].filter(([, p]) => p.expiresAt > now).sort((a, b) => b[1].hits - a[1].hits);
      for (const [key, p] of ranked.slice(0, top)) {
        if (p.refreshing || p.expiresAt - now > Math.max(1500, p.maxAgeMs * 0.2)) continue;
        p.refreshing = true;
        p.hits = Math.floor(p.hits / 2);
        const request: RequestInfo = { transport: 'http', method: 'POST', headers: new Map(), clientName: 'roam-cache-warmer', clientVersion: undefined, inBatch: false };
        this.refreshes.add(request);
        replay(p.entry, request)
          .catch((error: unknown) => this.options.logger.warn({ err: error }, 'response cache warming failed'))
          .finally(() => {
            p.refreshing = false;
            this.options.logger.debug({ key }, 'response cache entry refreshed');
          });
      }
    }, 1000);
    this.warmTimer.unref();
  }

  /** Stops warming and listening, and closes the store. */
  async close(): Promise<void> {
    if (this.warmTimer) clearInterval(this.warmTimer);
    await this.unsubscribe?.();
    this.options.channels?.close();
    await this.options.store.close();
  }
}

/** Identifies a supergraph across replicas (its SDL's hash), so a schema change never serves old answers. */
const snapshotIds = new WeakMap<SupergraphSnapshot, string>();
function snapshotId(snapshot: SupergraphSnapshot): string {
  let id = snapshotIds.get(snapshot);
  if (!id) snapshotIds.set(snapshot, (id = createHash('sha256').update(snapshot.sdl).digest('base64url').slice(0, 16)));
  return id;
}

/** @returns a fixed-length key from its parts. */
function cacheKey(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url');
}
