import type { RedisClient } from './createRedisClient';
import type { RedisLogger } from './RedisLogger';
import { describeRedisFailure } from './RedisUnavailableError';

/** State of a set of connections: `ready` when every one is, `down` when any failed, else `connecting`. */
export type RedisConnectionState = 'connecting' | 'ready' | 'down';

/** Options of {@link RedisConnectionMonitor}. */
export interface RedisConnectionMonitorOptions {
  /** Where the state changes go. */
  readonly logger: RedisLogger;
  /** Who uses the connections, in every line (`redis: "persisted queries"`). */
  readonly name: string;
  /** Where Redis is, in every line ({@link redisEndpoint}); never credentials. */
  readonly endpoint: string;
  /** Called with every connection error (the monitor keeps ioredis from printing them itself). */
  readonly onError?: (error: Error) => void;
}

/**
 * What this process last logged about each Redis endpoint, shared by every monitor: the gateway's Redis users
 * (persisted queries, idempotency keys, response cache, push bridge) each watch their own connections to the
 * same endpoint, and one outage must still be one warning, not one per user. Keyed by endpoint.
 */
const endpointLog = new Map<string, 'ready' | 'down'>();

/**
 * Watches ioredis connections and logs ONE line per change of their combined state, instead of one per
 * failed reconnect attempt; when several monitors in one process watch the same endpoint, only the first to
 * see a change logs it at info/warn, the others at debug:
 * - `redis ready` (info) the first time every connection is up;
 * - `redis unreachable; retrying in the background` (warn) when it has never been up and a connect fails;
 * - `redis connection lost; retrying in the background` (warn) when an established connection breaks;
 * - `redis reconnected` (info, with `downMs`) when it is back.
 * Lines carry `redis` (the user's name), `endpoint` and for failures `reason` and `detail`
 * ({@link describeRedisFailure}); never an error object or a stack. The monitor is the `error` listener
 * of every connection it watches, so ioredis never reports an "Unhandled error event".
 */
export class RedisConnectionMonitor {
  private readonly states = new Map<RedisClient, RedisConnectionState>();
  private logged: 'none' | 'ready' | 'down' = 'none';
  private downSince = 0;
  private closing = false;
  private lastFailure: { reason: string; detail: string } | undefined;
  private readonly listeners = new Set<(state: RedisConnectionState) => void>();

  constructor(private readonly options: RedisConnectionMonitorOptions) {}

  /** The combined state of the watched connections. */
  get state(): RedisConnectionState {
    const all = [...this.states.values()];
    if (all.includes('down')) return 'down';
    return all.length > 0 && all.every((s) => s === 'ready') ? 'ready' : 'connecting';
  }

  /** The reason and detail of the last connection failure seen, if any (for error messages). */
  get lastError(): { readonly reason: string; readonly detail: string } | undefined {
    return this.lastFailure;
  }

  /**
   * Starts watching `client` (its `ready`, `error`, `close` and `end` events).
   * @param client - a connection created by {@link createRedisConnections}.
   */
  watch(client: RedisClient): void {
    this.states.set(client, client.status === 'ready' ? 'ready' : 'connecting');
    client.on('ready', () => this.set(client, 'ready'));
    client.on('error', (error: Error) => {
      this.options.onError?.(error);
      this.lastFailure = describeRedisFailure(error);
      this.set(client, 'down');
    });
    const closed = (): void => {
      if (this.states.get(client) === 'ready') this.lastFailure = { reason: 'lost', detail: 'connection closed' };
      this.set(client, 'down');
    };
    client.on('close', closed);
    client.on('end', closed);
  }

  /**
   * @param listener - called after every change of the combined {@link state}.
   * @returns a function that removes it.
   */
  onChange(listener: (state: RedisConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Stops logging: the owner is closing the connections on purpose. */
  stop(): void {
    this.closing = true;
    this.listeners.clear();
  }

  private set(client: RedisClient, next: RedisConnectionState): void {
    if (this.closing) return;
    const before = this.state;
    this.states.set(client, next);
    const after = this.state;
    if (after === before) return;
    const base = { redis: this.options.name, endpoint: this.options.endpoint };
    const { endpoint } = this.options;
    const logger = {
      info: this.options.logger.info.bind(this.options.logger),
      warn: this.options.logger.warn.bind(this.options.logger),
      debug: (fields: Record<string, unknown>, message: string) => this.options.logger.debug?.(fields, message),
    };
    // Another monitor of this process already said so about this endpoint: keep the line, at debug.
    const said = endpointLog.get(endpoint);
    if (after === 'ready' && this.logged !== 'ready') {
      const level = said === 'ready' ? 'debug' : 'info';
      if (this.logged === 'down') logger[level]({ ...base, downMs: Date.now() - this.downSince }, 'redis reconnected');
      else logger[level](base, 'redis ready');
      this.logged = 'ready';
      endpointLog.set(endpoint, 'ready');
    } else if (after === 'down' && this.logged !== 'down') {
      const failure = this.lastFailure ?? { reason: 'lost', detail: 'connection closed' };
      logger[said === 'down' ? 'debug' : 'warn'](
        { ...base, ...failure },
        this.logged === 'ready' ? 'redis connection lost; retrying in the background' : 'redis unreachable; retrying in the background',
      );
      this.logged = 'down';
      this.downSince = Date.now();
      endpointLog.set(endpoint, 'down');
    }
    for (const listener of [...this.listeners]) listener(after);
  }
}
