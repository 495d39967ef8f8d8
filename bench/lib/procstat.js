'use strict';
// CPU time and memory of a process tree from /proc (Linux). CPU: utime + stime (fields 14 and 15 of
// /proc/<pid>/stat, in clock ticks) summed over the process and its descendants; RSS: VmRSS summed.
const { readFileSync, readdirSync } = require('node:fs');
const { execFileSync } = require('node:child_process');

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  /* 100 is the Linux default */
}

function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid = field 4, utime = 14, stime = 15
    return { ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** @returns the pid and all its descendants. */
function treeOf(rootPid) {
  const parents = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(name);
    if (s) parents.set(Number(name), s.ppid);
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/** @returns CPU time used so far by the tree rooted at `pid`, in ms (user + system). */
function cpuMs(pid) {
  let ticks = 0;
  for (const p of treeOf(pid)) {
    const s = statOf(p);
    if (s) ticks += s.utime + s.stime;
  }
  return (ticks * 1000) / clkTck;
}

/** @returns resident set size of the tree rooted at `pid`, in bytes. */
function rssBytes(pid) {
  let kb = 0;
  for (const p of treeOf(pid)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      /* gone */
    }
  }
  return kb * 1024;
}

/** Samples the tree's RSS every `intervalMs` and keeps the peak; `stop()` returns it in bytes. */
function rssSampler(pid, intervalMs = 250) {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, intervalMs);
  return {
    peak: () => Math.max(peak, rssBytes(pid)),
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}

module.exports = { cpuMs, rssBytes, rssSampler, treeOf };
