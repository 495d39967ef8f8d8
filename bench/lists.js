#!/usr/bin/env node
// `npm run bench:lists`: the offline-sync scenario of issue 13 against a real lists subgraph process
// (PGlite in memory, or LISTS_DATABASE_URL): pull of 10,000 changes (time per page, bytes) against refetching
// the lists whole, the bytes of a delta pull after a 1% change, a push of 1,000 queued changes (round trips,
// time), and the convergence time of 5 devices after a partition heals. Prints one JSON object.
'use strict';
const { join } = require('node:path');
const { freePort, startProcess } = require('@roam/testkit');
const { MemoryStore, SyncEngine } = require('@roam/sync-client');

const ROOT = join(__dirname, '..');

/** A fetch that counts requests and response bytes. */
function meteredFetch() {
  const m = { requests: 0, pushes: 0, pushMs: 0, bytes: 0, fetch: undefined };
  m.fetch = async (url, init) => {
    m.requests++;
    const isPush = init.body.includes('PushChanges');
    if (isPush) m.pushes++;
    const started = process.hrtime.bigint();
    const res = await fetch(url, init);
    const text = await res.text();
    if (isPush) m.pushMs += Number(process.hrtime.bigint() - started) / 1e6;
    m.bytes += Buffer.byteLength(text);
    return { status: res.status, text: async () => text };
  };
  return m;
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main() {
  const port = await freePort();
  const env = { PORT: String(port), LOG_LEVEL: 'warn' };
  if (process.env.LISTS_DATABASE_URL) env.LISTS_DATABASE_URL = process.env.LISTS_DATABASE_URL;
  const proc = await startProcess(join(ROOT, 'subgraphs/lists/dist/index.js'), env, `http://127.0.0.1:${port}/health`, 120_000);
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    // 100 lists × 100 changes = 10,000 changes in the log.
    const writer = new SyncEngine({ url, store: new MemoryStore() });
    const ids = [];
    for (let l = 0; l < 100; l++) {
      const id = writer.createList(`List ${l}`);
      ids.push(id);
      for (let i = 0; i < 99; i++) writer.addItem(id, String(1 + i), 1); // UPCs need not be catalogue products
    }
    const seedMs = await timed(() => writer.sync());

    // Pull of the whole log by a new device.
    const reader = meteredFetch();
    const fresh = new SyncEngine({ url, store: new MemoryStore(), fetch: reader.fetch, pullPageSize: 500 });
    const pullMs = await timed(() => fresh.sync());
    const pages = reader.requests - 0;

    // Refetching the lists whole.
    const whole = meteredFetch();
    const wholeQuery =
      '{ me: _entities(representations: [{ __typename: "User", id: "1" }]) { ... on User { lists { id title note archived deleted items { upc quantity checked } conflicts { id base ours theirs } members { id } } } } }';
    await whole.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: wholeQuery }) });

    // A 1% change (100 changes), then a delta pull by the reader.
    for (let i = 0; i < 100; i++) writer.incrementQuantity(ids[i], '1', 1);
    await writer.sync();
    const delta = meteredFetch();
    const deltaEngine = fresh;
    deltaEngine['fetchFn'] = delta.fetch; // reuse the synced device with a metered transport
    await deltaEngine.sync();

    // Push of 1,000 queued changes from one device.
    const pusher = meteredFetch();
    const device = new SyncEngine({ url, store: new MemoryStore(), fetch: pusher.fetch });
    const pid = device.createList('Push test');
    for (let i = 0; i < 998; i++) device.incrementQuantity(pid, '1', 1); // 1 + 998 + 1 = 1,000 changes
    device.addItem(pid, '1', 0);
    const pushMs = await timed(() => device.sync()); // push (2 requests of 500) and the pull that follows

    // 5 devices, partitioned: each makes 20 offline edits to one shared list; then the partition heals.
    const devices = Array.from({ length: 5 }, () => new SyncEngine({ url, store: new MemoryStore() }));
    const shared = devices[0].createList('Shared');
    devices[0].addItem(shared, '2', 1);
    for (const d of devices) await d.sync();
    for (const d of devices) await d.sync();
    devices.forEach((d, n) => {
      for (let i = 0; i < 20; i++) {
        if (i % 4 === 0) d.setTitle(shared, `from ${n}.${i}`);
        else if (i % 4 === 1) d.addItem(shared, String(1 + ((n + i) % 9)), 1);
        else if (i % 4 === 2) d.incrementQuantity(shared, '2', 1);
        else d.setChecked(shared, '2', i % 8 === 3);
      }
    });
    const convergeMs = await timed(async () => {
      await Promise.all(devices.map((d) => d.sync()));
      await Promise.all(devices.map((d) => d.sync()));
    });
    const views = devices.map((d) => JSON.stringify(d.list(shared)));
    const result = {
      database: env.LISTS_DATABASE_URL ? 'postgresql' : 'pglite',
      seed: { changes: 10_000, pushAndPullMs: Math.round(seedMs) },
      pull10k: { pages, totalMs: Math.round(pullMs), msPerPage: Math.round(pullMs / pages), bytes: reader.bytes },
      refetchWhole: { bytes: whole.bytes },
      deltaAfter1Percent: { changes: 100, requests: delta.requests, bytes: delta.bytes, ratioToWhole: Number((delta.bytes / whole.bytes).toFixed(4)) },
      push1000: { pushRequests: pusher.pushes, pushMs: Math.round(pusher.pushMs), pullRequestsAfter: pusher.requests - pusher.pushes, syncMsWithPull: Math.round(pushMs) },
      converge5: { offlineEditsPerDevice: 20, ms: Math.round(convergeMs), converged: new Set(views).size === 1 },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await proc.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:lists failed: ${error.stack || error}\n`);
  process.exit(1);
});
