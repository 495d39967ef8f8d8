import { StoreUnavailableError } from './types';

/**
 * Races `work` against a timer: a Redis call that has not answered after `timeoutMs` rejects with
 * {@link StoreUnavailableError} (ioredis would otherwise park it in its offline queue for long).
 * Any other rejection of `work` also becomes a StoreUnavailableError (carrying the cause), except
 * errors listed in `passThrough`.
 *
 * @param work - the pending call.
 * @param timeoutMs - deadline in ms.
 * @param what - names the call in the error message.
 */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string, passThrough: (error: unknown) => boolean = () => false): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`Redis did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  work.catch(() => undefined); // a late rejection after the deadline is not unhandled
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    if (error instanceof StoreUnavailableError || passThrough(error)) throw error;
    throw new StoreUnavailableError(`Redis ${what} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
