import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from 'pino';

/** A watched supergraph file. */
export interface SupergraphWatch {
  /** The SDL read at start. */
  readonly initialSdl: string;
  /** Stops watching. */
  stop(): void;
}

/**
 * Watches a supergraph file for hot reload. The file is polled every `pollIntervalMs` (polling, unlike
 * inotify, also sees a file replaced by rename, which is how `npm run compose` writes it). On a change the new
 * SDL is handed to `apply`, which builds a new supergraph snapshot and swaps it in; operations already running
 * finish on the snapshot they started with, so no in-flight request fails. An unreadable file, or one `apply`
 * rejects (throws), is logged and the current supergraph stays in service until the next change.
 *
 * @param path - absolute path of the supergraph SDL file.
 * @param pollIntervalMs - how often to check the file's mtime and size, in ms.
 * @param apply - installs a new SDL; throws when it is not a valid supergraph.
 * @throws when the file cannot be read at start.
 */
export function watchSupergraphFile(path: string, pollIntervalMs: number, logger: Logger, apply: (sdl: string) => void): SupergraphWatch {
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
      apply(next);
      current = next;
      logger.info({ path }, 'supergraph reloaded');
    } catch (error) {
      logger.error({ path, err: (error as Error).message }, 'new supergraph rejected; keeping the current supergraph');
    }
  };
  watchFile(path, { interval: pollIntervalMs, persistent: false }, listener);
  return { initialSdl: current, stop: () => unwatchFile(path, listener) };
}
