import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from 'pino';

/**
 * A `supergraphSdl` hook for `@apollo/gateway` that serves a supergraph file and hot-reloads it.
 *
 * The file is polled every `pollIntervalMs` (polling, unlike inotify, also sees a file replaced by
 * rename, which is how `npm run compose` writes it). On a change the new SDL is handed to the gateway's
 * `update`; Apollo Gateway builds the new schema and query planner and swaps them in, while operations
 * already executing finish on the old ones, so no in-flight request fails. An unreadable or invalid file
 * is logged and the current supergraph stays in service until the next change.
 *
 * @param path - absolute path of the supergraph SDL file.
 * @param pollIntervalMs - how often to check the file's mtime and size, in ms.
 * @param onReload - called after each successful swap, with the new SDL.
 * @throws (from the returned hook) when the file cannot be read at start.
 */
export function supergraphFromFile(path: string, pollIntervalMs: number, logger: Logger, onReload?: (sdl: string) => void): SupergraphSdlHook {
  return async ({ update }) => {
    let current = readFileSync(path, 'utf8');
    const listener = (curr: Stats, prev: Stats): void => {
      if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size) return;
      let next: string;
      try {
        next = readFileSync(path, 'utf8');
      } catch (error) {
        logger.warn({ path, err: (error as Error).message }, 'supergraph file unreadable; keeping the current supergraph');
        return;
      }
      if (next === current || next.trim() === '') return;
      try {
        update(next);
        current = next;
        logger.info({ path }, 'supergraph reloaded');
        onReload?.(next);
      } catch (error) {
        logger.error({ path, err: (error as Error).message }, 'new supergraph rejected; keeping the current supergraph');
      }
    };
    watchFile(path, { interval: pollIntervalMs, persistent: false }, listener);
    return { supergraphSdl: current, cleanup: async () => unwatchFile(path, listener) };
  };
}
