import { Cluster } from 'ioredis';
import { createRedisClient, type RedisClient } from './createRedisClient';
import { parseRedisUrl, type RedisTarget } from './parseRedisUrl';
import { redisEndpoint } from './redisEndpoint';
import { RedisConnectionMonitor } from './RedisConnectionMonitor';
import { SILENT_REDIS_LOGGER, type RedisLogger } from './RedisLogger';
import { RedisUnavailableError } from './RedisUnavailableError';
import { withDeadline } from './withDeadline';

/** Options of {@link createRedisConnections}. */
export interface RedisConnectionsOptions {
  /**
   * Deadline of every call made through {@link RedisConnections.call}, in ms (also ioredis's
   * `commandTimeout` of the command connection).
   * @default 100
   */
  readonly commandTimeoutMs?: number;
  /** TCP connect timeout of each connection attempt, in ms. @default max(1000, commandTimeoutMs) */
  readonly connectTimeoutMs?: number;
  /** Reconnect backoff: attempt n waits min(n × 100, this) ms. @default 1000 */
  readonly maxReconnectDelayMs?: number;
  /** Receives one line per state change ({@link RedisConnectionMonitor}). @default silent */
  readonly logger?: RedisLogger;
  /** Names the Redis user in log lines, e.g. `persisted queries`. @default "redis" */
  readonly name?: string;
  /** Called with every connection error (besides the state log), e.g. for metrics. */
  readonly onError?: (error: Error) => void;
}

/** Options of {@link RedisConnections.waitUntilReady}. */
export interface WaitUntilReadyOptions {
  /**
   * Reject at the first connection failure (refused port, unknown host…) instead of waiting for a
   * reconnect until the timeout: for command-line tools, which should report the cause at once.
   * @default false
   */
  readonly failFast?: boolean;
}

/** A command connection and a lazily opened subscriber connection to one Redis deployment. */
export interface RedisConnections {
  /** The parsed `REDIS_URL`. */
  readonly target: RedisTarget;
  /** Where Redis is, for messages ({@link redisEndpoint}). */
  readonly endpoint: string;
  /** Whether it is a Redis Cluster (keyspaces with multi-key operations then need a hash tag). */
  readonly isCluster: boolean;
  /**
   * The command connection: no offline queue (a call while disconnected fails at once), a
   * `commandTimeout`, one retry per request, reconnect with capped backoff. Use it through {@link call}.
   */
  readonly command: RedisClient;
  /**
   * The subscriber connection, opened on first access (a subscribed connection cannot run other
   * commands): with an offline queue, so a SUBSCRIBE sent while Redis is away completes when it is
   * back, and no command timeout; ioredis resubscribes its channels after every reconnect.
   */
  readonly subscriber: RedisClient;
  /** The state of both connections, logged once per change. */
  readonly monitor: RedisConnectionMonitor;
  /**
   * Runs one request-path call on the command connection with the deadline `commandTimeoutMs`.
   * @param what - names the call in errors, e.g. `lookup`.
   * @param work - issues the commands (a pipeline or MULTI for several keys).
   * @param passThrough - errors for which it returns true are rethrown unchanged.
   * @returns what `work` resolves to.
   * @throws RedisUnavailableError at once (`not-ready`) when the connection is not up, on timeout, or for any Redis error.
   */
  call<T>(what: string, work: (client: RedisClient) => Promise<T>, passThrough?: (error: unknown) => boolean): Promise<T>;
  /**
   * Waits until the command connection is ready.
   * @param timeoutMs - how long to wait, in ms.
   * @throws RedisUnavailableError: `timeout` (with the last failure seen), or with `failFast` the first failure's reason (`refused`, `unreachable`…).
   */
  waitUntilReady(timeoutMs: number, options?: WaitUntilReadyOptions): Promise<void>;
  /** Closes both connections (QUIT when ready, else disconnect); stops reconnecting and logging. Never throws. */
  close(): Promise<void>;
}

/**
 * Opens the connections one Redis user needs, for any `REDIS_URL` form ({@link parseRedisUrl}:
 * standalone, TLS, Sentinel, Cluster), with the options a request path needs: no offline queue,
 * bounded `commandTimeout` and connect timeout, reconnects every 100 ms growing to at most
 * `maxReconnectDelayMs`, and one log line per state change instead of an error per attempt.
 *
 * @param url - the `REDIS_URL`.
 * @param options - deadlines, backoff, logger.
 * @returns the connections; the command connection starts connecting at once.
 * @throws Error when the URL is malformed (credentials not echoed).
 */
export function createRedisConnections(url: string, options: RedisConnectionsOptions = {}): RedisConnections {
  const target = parseRedisUrl(url);
  const endpoint = redisEndpoint(target);
  const commandTimeoutMs = options.commandTimeoutMs ?? 100;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 1000;
  const monitor = new RedisConnectionMonitor({ logger: options.logger ?? SILENT_REDIS_LOGGER, name: options.name ?? 'redis', endpoint, ...(options.onError ? { onError: options.onError } : {}) });
  const command = createRedisClient(target, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs ?? Math.max(1000, commandTimeoutMs),
    retryStrategy: (times) => Math.min(times * 100, maxReconnectDelayMs),
  });
  monitor.watch(command);
  let subscriber: RedisClient | undefined;
  let closed = false;

  return {
    target,
    endpoint,
    isCluster: command instanceof Cluster,
    command,
    monitor,
    get subscriber(): RedisClient {
      if (!subscriber) {
        // Its own offline queue and no per-command deadline: SUBSCRIBE waits for the connection.
        subscriber =
          command instanceof Cluster ? command.duplicate([], { enableOfflineQueue: true }) : command.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
        monitor.watch(subscriber);
        if (closed) subscriber.disconnect();
      }
      return subscriber;
    },
    call<T>(what: string, work: (client: RedisClient) => Promise<T>, passThrough?: (error: unknown) => boolean): Promise<T> {
      if (command.status !== 'ready') {
        const last = monitor.lastError;
        return Promise.reject(new RedisUnavailableError('not-ready', `Redis at ${endpoint} is not connected (${command.status}${last ? `: ${last.detail}` : ''}); ${what} not attempted`));
      }
      return withDeadline(
        Promise.resolve().then(() => work(command)),
        commandTimeoutMs,
        what,
        passThrough,
      );
    },
    waitUntilReady(timeoutMs: number, wait: WaitUntilReadyOptions = {}): Promise<void> {
      if (command.status === 'ready') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = (error?: RedisUnavailableError): void => {
          clearTimeout(timer);
          command.off('ready', onReady);
          command.off('error', onError);
          if (error) reject(error);
          else resolve();
        };
        const onReady = (): void => done();
        const onError = (error: Error): void => {
          if (wait.failFast) done(RedisUnavailableError.from(error));
        };
        const timer = setTimeout(() => {
          const last = monitor.lastError;
          done(new RedisUnavailableError('timeout', `Redis at ${endpoint} was not ready within ${timeoutMs} ms${last ? ` (${last.detail})` : ''}`));
        }, timeoutMs);
        command.on('ready', onReady);
        command.on('error', onError);
      });
    },
    async close(): Promise<void> {
      closed = true;
      monitor.stop();
      const clients = [command, subscriber].filter((c): c is RedisClient => c !== undefined);
      await Promise.all(
        clients.map((c) =>
          c.status === 'ready'
            ? c.quit().then(
                () => undefined,
                () => c.disconnect(),
              )
            : Promise.resolve(c.disconnect()),
        ),
      );
    },
  };
}
