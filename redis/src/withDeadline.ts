import { RedisUnavailableError } from './RedisUnavailableError';

/**
 * Races `work` against a timer, for Redis calls on a request path: a call that has not answered after
 * `timeoutMs` rejects with a {@link RedisUnavailableError} of reason `timeout` (ioredis would otherwise
 * wait in its offline queue or on a hung socket). Any other rejection of `work` also becomes a
 * RedisUnavailableError (classified, carrying the cause), except errors accepted by `passThrough`,
 * which are rethrown as they are (e.g. a domain conflict detected inside the call). A rejection of
 * `work` after the deadline is swallowed, never unhandled.
 *
 * @param work - the pending call.
 * @param timeoutMs - deadline in ms.
 * @param what - names the call in the error message, e.g. `lookup`. @default "call"
 * @param passThrough - errors for which it returns true are rethrown unchanged. @default none
 * @returns what `work` resolves to.
 * @throws RedisUnavailableError (or a passed-through error).
 */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what = 'call', passThrough: (error: unknown) => boolean = () => false): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError('timeout', `Redis did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  work.catch(() => undefined); // a late rejection after the deadline is not unhandled
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    if (passThrough(error)) throw error;
    throw RedisUnavailableError.from(error, what);
  } finally {
    clearTimeout(timer);
  }
}
