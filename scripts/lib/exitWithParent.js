// No process outlives its parent. Required by scripts/start.js, and preloaded (`node --require`) into
// each of its children: when the parent goes away, even abruptly (SIGKILL, crash), this process sends
// itself SIGTERM, so its own handler stops it the graceful way (drain, close), and exits hard if that
// handler has not finished after 10 s. The parent is watched two ways: the IPC channel start.js opens
// to each child ('disconnect' fires the moment the parent dies), and polling process.ppid every 500 ms
// (a process whose parent died is re-parented, so its ppid changes) for parents without IPC (npm, sh).
'use strict';

const POLL_INTERVAL_MS = 500;
const HARD_EXIT_AFTER_MS = 10_000;
const parentPid = process.ppid;
let gone = false;

function parentGone(why) {
  if (gone) return;
  gone = true;
  process.stderr.write(`[roam] pid ${process.pid}: parent ${parentPid} ${why}; stopping\n`);
  setTimeout(() => process.exit(1), HARD_EXIT_AFTER_MS).unref();
  process.kill(process.pid, 'SIGTERM');
}

if (typeof process.send === 'function') {
  process.once('disconnect', () => parentGone('closed the IPC channel'));
  if (process.channel) process.channel.unref(); // the channel alone must not keep the process alive
}
setInterval(() => {
  if (process.ppid !== parentPid) parentGone('exited');
}, POLL_INTERVAL_MS).unref();
