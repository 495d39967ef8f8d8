import type { UpstreamHooks } from '../upstream/types';

/**
 * Runs several hook sets as one (metrics beside breakers and retries): `beforeFetch` in order (the first to throw
 * refuses the fetch), `fetchHeaders` merged (later sets win on a name), `afterFetch` in order.
 *
 * @returns the combined hooks.
 */
export function composeUpstreamHooks(...sets: readonly (UpstreamHooks | undefined)[]): UpstreamHooks {
  const hooks = sets.filter((h): h is UpstreamHooks => h !== undefined);
  return {
    beforeFetch(info) {
      for (const h of hooks) h.beforeFetch?.(info);
    },
    fetchHeaders(info) {
      let headers: Record<string, string> | undefined;
      for (const h of hooks) {
        const more = h.fetchHeaders?.(info);
        if (more) headers = { ...headers, ...more };
      }
      return headers;
    },
    afterFetch(info, outcome) {
      for (const h of hooks) h.afterFetch?.(info, outcome);
    },
  };
}
