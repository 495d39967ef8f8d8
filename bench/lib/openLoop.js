'use strict';
// Open-loop load (requests sent at a fixed rate whatever the answers' latency, as independent phones do), so
// an overloaded gateway cannot slow the generator down the way a closed loop of autocannon connections would.
const { Pool } = require('undici');

/**
 * Sends POST `body` to `url` at `rate` requests per second for `durationS` seconds, over a pool of `connections`.
 *
 * @param {{url: string, body: string, rate: number, durationS: number, connections?: number}} o
 * @returns {Promise<{sent: number, byStatus: Record<string, number>, errors: number,
 *   accepted: {count: number, p50: number, p99: number}, shed: {count: number, p99: number}}>}
 *   accepted = 2xx answers, shed = 503 answers; latencies in ms from the moment the request was due.
 */
async function openLoop(o) {
  const target = new URL(o.url);
  const pool = new Pool(target.origin, { connections: o.connections ?? 512, pipelining: 1, keepAliveTimeout: 30_000 });
  const accepted = [];
  const shed = [];
  const byStatus = {};
  let errors = 0;
  let sent = 0;
  const pending = new Set();
  const started = performance.now();
  const total = Math.round(o.rate * o.durationS);
  const fire = (dueAt) => {
    sent++;
    const p = pool
      .request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body: o.body })
      .then(async (res) => {
        await res.body.text();
        const ms = performance.now() - dueAt;
        byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 200 && res.statusCode < 300) accepted.push(ms);
        else if (res.statusCode === 503) shed.push(ms);
      })
      .catch(() => errors++)
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - started) / 1000) * o.rate));
    while (sent < due) fire(started + (sent / o.rate) * 1000);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  await pool.close();
  const pct = (xs, q) => {
    if (xs.length === 0) return 0;
    const sorted = [...xs].sort((a, b) => a - b);
    return +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
  };
  return { sent, byStatus, errors, accepted: { count: accepted.length, p50: pct(accepted, 0.5), p99: pct(accepted, 0.99) }, shed: { count: shed.length, p99: pct(shed, 0.99) } };
}

module.exports = { openLoop };
