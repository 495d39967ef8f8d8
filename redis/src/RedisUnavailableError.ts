/**
 * Why a Redis call or connection failed:
 * - `not-ready`: the connection is not up (connecting or reconnecting); the call was not attempted;
 * - `timeout`: no answer within the deadline (a hung server, a full network buffer, a slow start);
 * - `refused`: the port refused the TCP connection (nothing listens there);
 * - `unreachable`: the host is unknown or unreachable, or the TCP connect timed out;
 * - `lost`: the connection broke during the call (reset, closed);
 * - `failed`: Redis answered with an error, or anything else.
 */
export type RedisUnavailableReason = 'not-ready' | 'timeout' | 'refused' | 'unreachable' | 'lost' | 'failed';

/** The shape of errors ioredis and Node's `net` emit, as far as {@link describeRedisFailure} reads them. */
interface NetErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
  /** ioredis `ClusterAllFailedError`: the error of the last node tried. */
  readonly lastNodeError?: unknown;
}

/**
 * Classifies an error emitted by ioredis or Node's `net` (a connection `error` event or a rejected call).
 *
 * @param error - anything thrown or emitted.
 * @returns the reason and a one-line description without a stack or credentials, e.g.
 *   `{ reason: 'refused', detail: 'connection refused at 127.0.0.1:6390' }`.
 */
export function describeRedisFailure(error: unknown): { readonly reason: RedisUnavailableReason; readonly detail: string } {
  if (error instanceof RedisUnavailableError) return { reason: error.reason, detail: error.message };
  const e = (typeof error === 'object' && error !== null ? error : {}) as NetErrorLike;
  if (e.lastNodeError !== undefined && e.lastNodeError !== null) return describeRedisFailure(e.lastNodeError);
  const at = typeof e.address === 'string' ? ` at ${e.address}${typeof e.port === 'number' ? `:${e.port}` : ''}` : '';
  switch (e.code) {
    case 'ECONNREFUSED':
      return { reason: 'refused', detail: `connection refused${at}` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { reason: 'unreachable', detail: typeof e.hostname === 'string' ? `host ${e.hostname} not found` : 'host not found' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { reason: 'unreachable', detail: `host unreachable${at}` };
    case 'ETIMEDOUT':
      return { reason: 'unreachable', detail: `connect timed out${at}` };
    case 'ECONNRESET':
    case 'EPIPE':
      return { reason: 'lost', detail: `connection reset${at}` };
    default: {
      const message = typeof e.message === 'string' ? e.message : String(error);
      return { reason: /Connection is closed|Stream isn't writeable/i.test(message) ? 'lost' : 'failed', detail: message.split('\n')[0]! };
    }
  }
}

/**
 * The one error every `@roam/redis` call rejects with when Redis cannot serve it: callers map it to
 * their defined behaviour (a cache miss, a 503, a fail-closed refusal, a lost event) and never let it
 * become an unhandled rejection. The message is one line without credentials.
 */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';

  /**
   * @param reason - the class of failure ({@link RedisUnavailableReason}).
   * @param message - one line, e.g. `connection refused at 127.0.0.1:6390`.
   * @param options - `cause`: the ioredis or `net` error.
   */
  constructor(
    readonly reason: RedisUnavailableReason,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * Wraps any error of a Redis call.
   * @param error - what ioredis threw or emitted.
   * @param what - names the call, e.g. `lookup`; prefixed to the message.
   * @returns `error` itself when it already is a RedisUnavailableError, else a new one with the classified reason.
   */
  static from(error: unknown, what?: string): RedisUnavailableError {
    if (error instanceof RedisUnavailableError) return error;
    const { reason, detail } = describeRedisFailure(error);
    return new RedisUnavailableError(reason, what ? `Redis ${what} failed: ${detail}` : detail, { cause: error });
  }
}
