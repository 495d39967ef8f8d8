import type { RedisConnections } from './createRedisConnections';
import type { RedisKeyspace } from './redisKeyspace';
import { SILENT_REDIS_LOGGER, type RedisLogger } from './RedisLogger';
import { RedisUnavailableError } from './RedisUnavailableError';
import { withDeadline } from './withDeadline';

/** Options of {@link RedisChannels}. */
export interface RedisChannelsOptions {
  /** Where a subscription that could not be confirmed, or a malformed message, is reported. @default silent */
  readonly logger?: RedisLogger;
  /** Names the Redis user in log lines. @default "redis" */
  readonly name?: string;
  /** How long `subscribe` waits for Redis to confirm the first SUBSCRIBE of a channel, in ms. @default 1000 */
  readonly subscribeWaitMs?: number;
}

/** Called with a message published on a channel that is not JSON; `raw` is the message as received. */
export type MalformedMessageHandler = (raw: string) => void;

/**
 * JSON pub/sub over one {@link RedisConnections}: `publish` runs on the command connection (with its
 * deadline), `subscribe` on the subscriber connection. Channel names are built by a keyspace
 * (`keys.key(channel)`), so two deployments sharing a Redis never hear each other. One Redis
 * subscription per channel is shared by every local handler; the last handler to leave unsubscribes.
 *
 * Delivery is at most once, as Redis pub/sub is: while the subscriber connection is away messages are
 * lost. ioredis resubscribes after a reconnect, and {@link onReconnect} listeners are then told, so that
 * a user can drop state that missed messages would have changed (the persisted-query LRU does).
 */
export class RedisChannels {
  private readonly handlers = new Map<string, Set<{ readonly onMessage: (payload: unknown) => void; readonly onMalformed?: MalformedMessageHandler }>>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly logger: RedisLogger;
  private listening = false;

  /**
   * @param connections - from {@link createRedisConnections}; the subscriber connection is opened on the first `subscribe`.
   * @param keys - builds the channel names (e.g. the `events` namespace).
   */
  constructor(
    private readonly connections: RedisConnections,
    private readonly keys: RedisKeyspace,
    private readonly options: RedisChannelsOptions = {},
  ) {
    this.logger = options.logger ?? SILENT_REDIS_LOGGER;
  }

  /**
   * Publishes `payload` as JSON on `channel`.
   * @param channel - name under the keyspace.
   * @param payload - any JSON-serialisable value.
   * @returns how many subscriber connections received it.
   * @throws RedisUnavailableError when Redis is not connected or does not answer within the deadline.
   */
  publish(channel: string, payload: unknown): Promise<number> {
    const name = this.keys.key(channel);
    const message = JSON.stringify(payload);
    return this.connections.call('publish', (client) => client.publish(name, message));
  }

  /**
   * Calls `onMessage` with every JSON payload published on `channel` from now on. Waits at most
   * `subscribeWaitMs` for Redis to confirm a new channel; when Redis is away the SUBSCRIBE stays queued,
   * completes when it is back (one warn line says so, unless the connection monitor already logged the
   * outage) and the returned function still works.
   *
   * @param channel - name under the keyspace.
   * @param onMessage - gets the parsed payload; must not throw (a throw is logged and ignored).
   * @param onMalformed - gets a message that is not JSON. @default logs one warn line per message
   * @returns a function that stops the delivery (idempotent; never throws).
   */
  async subscribe(channel: string, onMessage: (payload: unknown) => void, onMalformed?: MalformedMessageHandler): Promise<() => Promise<void>> {
    const name = this.keys.key(channel);
    const entry = { onMessage, ...(onMalformed ? { onMalformed } : {}) };
    this.listen();
    let set = this.handlers.get(name);
    if (!set) {
      this.handlers.set(name, (set = new Set()));
      set.add(entry);
      await withDeadline(this.connections.subscriber.subscribe(name), this.options.subscribeWaitMs ?? 1000, 'subscribe').catch((error: RedisUnavailableError) => {
        // while Redis is down the monitor has already said so (one line per outage); a hung Redis gets this line
        if (this.connections.monitor.state !== 'down')
          this.logger.warn({ redis: this.options.name ?? 'redis', channel: name, reason: error.reason, detail: error.message }, 'redis subscription not confirmed yet; it starts when Redis answers');
      });
    } else set.add(entry);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      set.delete(entry);
      if (set.size === 0 && this.handlers.get(name) === set) {
        this.handlers.delete(name);
        await withDeadline(this.connections.subscriber.unsubscribe(name), this.options.subscribeWaitMs ?? 1000, 'unsubscribe').catch(() => undefined);
      }
    };
  }

  /**
   * @param listener - called each time the subscriber connection is ready again after a loss (messages
   *   published meanwhile were not delivered).
   * @returns a function that removes it.
   */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => void this.reconnectListeners.delete(listener);
  }

  /** Drops every handler and listener (the connections are closed by their owner). */
  close(): void {
    this.handlers.clear();
    this.reconnectListeners.clear();
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    const subscriber = this.connections.subscriber;
    let readyOnce = subscriber.status === 'ready';
    subscriber.on('ready', () => {
      if (readyOnce) for (const listener of [...this.reconnectListeners]) listener();
      readyOnce = true;
    });
    subscriber.on('message', (channel: string, message: string) => {
      const set = this.handlers.get(channel);
      if (!set) return;
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        for (const entry of [...set]) {
          if (entry.onMalformed) entry.onMalformed(message);
          else this.logger.warn({ redis: this.options.name ?? 'redis', channel }, 'dropped a pub/sub message that is not JSON');
        }
        return;
      }
      for (const entry of [...set]) {
        try {
          entry.onMessage(payload);
        } catch (error) {
          this.logger.error({ redis: this.options.name ?? 'redis', channel, detail: (error as Error).message }, 'a pub/sub handler threw; ignored');
        }
      }
    });
  }
}
