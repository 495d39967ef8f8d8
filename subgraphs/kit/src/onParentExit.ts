/** How often {@link onParentExit} compares `process.ppid` with the parent's pid, in ms. */
export const PARENT_POLL_INTERVAL_MS = 500;

/**
 * Calls `onExit` once when the process that started this one goes away, so that no subgraph outlives
 * its parent (`npm start`, the `sh` of `npx roam-subgraph-…`), even when the parent dies by SIGKILL.
 * Noticed through the IPC channel's `disconnect` when there is one (at once), and by polling
 * `process.ppid` (a process whose parent died is re-parented, so its ppid changes). Neither keeps the
 * process alive. A process whose parent is already pid 0 or 1 (a container's init) is only watched
 * through IPC.
 *
 * @param onExit - called at most once, with a reason for logs.
 */
export function onParentExit(onExit: (reason: string) => void): void {
  const parentPid = process.ppid;
  let called = false;
  const fire = (reason: string): void => {
    if (called) return;
    called = true;
    onExit(reason);
  };
  if (process.channel) {
    process.once('disconnect', () => fire('parent closed the IPC channel'));
    process.channel.unref();
  }
  if (parentPid > 1) setInterval(() => process.ppid !== parentPid && fire(`parent ${parentPid} exited`), PARENT_POLL_INTERVAL_MS).unref();
}
