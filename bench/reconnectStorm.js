#!/usr/bin/env node
// Reconnect storm (issue 17, not a test): N subscribers on two gateway replicas, events flowing, then every
// client drops, stays away `--offline-ms` (so it misses events) and reconnects to the OTHER replica within
// `--window-s`, resuming with extensions.lastEventId.
//
//   npm run build && node bench/reconnectStorm.js [--subscribers 2000] [--window-s 2] [--offline-ms 1000]
//     [--rate 50] [--distinct 4] [--resume-buffer 256]
//
// Starts a real redis-server, the reference subgraphs (events on Redis Streams) and two gateways on free
// ports. Measures, per client, reconnect start → first replayed event (p50/p99, ms); events lost, duplicated
// and clients out of order (all against the producer's ledger); CPU of both gateways during the storm; and
// Redis memory per retained event (MEMORY USAGE of the reviews stream / XLEN). `--resume-buffer 0` makes every
// resume go through the subgraph's stream (SUBSCRIPTION_RESUME_BUFFER=0) instead of the hub's memory.
// Prints one JSON object. Noisy on a shared machine: read the figures as orders of magnitude.
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const WebSocket = require('ws');
const { request } = require('undici');
const { freePort, startProcess, startRedis, waitFor } = require('../testkit/dist');
const { composeSupergraph } = require('../gateway/dist');
const { EVENT_ID_EXTENSION, LAST_EVENT_ID_EXTENSION } = require('../redis/dist');
const { SUBGRAPHS: REGISTRY, subgraphByName, repoPath, readSchema } = require('@roam/subgraph-registry');
const { cpuMs } = require('./lib/procstat');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 || process.argv[i + 1] === undefined ? fallback : process.argv[i + 1];
}
const SUBSCRIBERS = Number(arg('subscribers', 2000));
const WINDOW_S = Number(arg('window-s', 2));
const OFFLINE_MS = Number(arg('offline-ms', 1000));
const RATE = Number(arg('rate', 50));
const DISTINCT = Number(arg('distinct', 4));
const RESUME_BUFFER = String(arg('resume-buffer', 256));
const LINGER_MS = String(arg('linger-ms', 10000));
const NAMES = REGISTRY.filter((s) => s.inProcess).map((s) => s.name);
const QUERY = 'subscription ($upc: String) { reviewAdded(upc: $upc) { id body author { name } } }';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => (sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10);

class Subscriber {
  constructor(upc) {
    this.upc = upc;
    this.ids = [];
    this.lastEventId = undefined;
    this.errors = [];
    this.reconnectAt = undefined;
    this.firstReplayMs = undefined;
  }
  connect(url, lastEventId) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      this.ws = ws;
      ws.once('error', reject);
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.type === 'connection_ack') {
          const extensions = lastEventId ? { [LAST_EVENT_ID_EXTENSION]: lastEventId } : undefined;
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY, variables: { upc: this.upc }, ...(extensions ? { extensions } : {}) } }));
          resolve();
        } else if (m.type === 'next') {
          if (this.reconnectAt !== undefined && this.firstReplayMs === undefined) this.firstReplayMs = performance.now() - this.reconnectAt;
          this.ids.push(m.payload.data.reviewAdded.id);
          this.lastEventId = m.payload.extensions?.[EVENT_ID_EXTENSION] ?? this.lastEventId;
        } else if (m.type === 'error') this.errors.push(m.payload);
        else if (m.type === 'ping') ws.send('{"type":"pong"}');
      });
      ws.once('open', () => ws.send('{"type":"connection_init","payload":{}}'));
    });
  }
  drop() {
    return new Promise((resolve) => {
      if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.terminate();
    });
  }
}

async function main() {
  const redis = await startRedis();
  const env = { LOG_LEVEL: 'error', REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix };
  const ports = await Promise.all(NAMES.map(() => freePort()));
  const subgraphs = await Promise.all(NAMES.map((n, i) => startProcess(repoPath(subgraphByName(n).main), { PORT: String(ports[i]), ...env }, `http://127.0.0.1:${ports[i]}/health`)));
  const urls = Object.fromEntries(NAMES.map((n, i) => [n, `http://127.0.0.1:${ports[i]}/graphql`]));
  const supergraphPath = join(mkdtempSync(join(tmpdir(), 'roam-storm-')), 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph(NAMES.map((name) => ({ name, url: urls[name], sdl: readSchema(subgraphByName(name)) }))));
  const gateways = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const gatewayEnv = {
      PORT: String(port),
      SUPERGRAPH_PATH: supergraphPath,
      LOG_LEVEL: 'error',
      SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: String(SUBSCRIBERS * 2),
      SUBSCRIPTION_RESUME_BUFFER: RESUME_BUFFER,
      SUBSCRIPTION_RESUME_LINGER_MS: LINGER_MS,
    };
    gateways.push(Object.assign(await startProcess(join(__dirname, '../gateway/dist/bin.js'), gatewayEnv, `http://127.0.0.1:${port}/ready`), { url: `http://127.0.0.1:${port}/graphql` }));
  }
  const [a, b] = gateways;
  const stopAll = async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await Promise.all(subgraphs.map((s) => s.stop()));
    await redis.stop();
  };
  try {
    const upcs = Array.from({ length: DISTINCT }, (_, i) => String(i + 1));
    const subs = Array.from({ length: SUBSCRIBERS }, (_, i) => new Subscriber(upcs[i % DISTINCT]));
    const home = (i) => (Math.floor(i / DISTINCT) % 2 === 0 ? a : b);
    for (let i = 0; i < subs.length; i += 200) await Promise.all(subs.slice(i, i + 200).map((s, j) => s.connect(home(i + j).url)));
    const ready = async (g) => (await (await request(g.url.replace('/graphql', '/ready'))).body.json()).subscriptions.subscribers;
    await waitFor(async () => (await ready(a)) + (await ready(b)) === SUBSCRIBERS, 'every subscription', 60_000);
    await sleep(500);

    const expected = new Map(upcs.map((u) => [u, []]));
    let producing = true;
    let sent = 0;
    const producer = (async () => {
      const started = performance.now();
      while (producing) {
        const upc = upcs[sent % DISTINCT];
        const res = await request(urls.reviews, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'mutation ($b: String!, $u: String!) { addReview(input: { authorId: "1", productUpc: $u, body: $b }) { id } }', variables: { b: `storm ${sent}`, u: upc } }),
        });
        expected.get(upc).push((await res.body.json()).data.addReview.id);
        sent++;
        const due = started + (sent * 1000) / RATE;
        if (due > performance.now()) await sleep(due - performance.now());
      }
    })();
    await waitFor(() => subs.every((s) => s.ids.length > 0), 'every subscriber to receive an event', 60_000);

    // the storm: everyone drops; after OFFLINE_MS each reconnects to the other replica, spread over WINDOW_S
    const cpuBefore = gateways.map((g) => cpuMs(g.child.pid));
    const stormStart = performance.now();
    await Promise.all(subs.map((s) => s.drop()));
    await sleep(OFFLINE_MS);
    const reconnectErrors = [];
    await Promise.all(
      subs.map(async (s, i) => {
        await sleep((i / SUBSCRIBERS) * WINDOW_S * 1000);
        s.reconnectAt = performance.now();
        try {
          await s.connect((home(i) === a ? b : a).url, s.lastEventId);
        } catch (error) {
          reconnectErrors.push(String(error));
        }
      }),
    );
    await waitFor(() => subs.every((s) => s.firstReplayMs !== undefined || s.errors.length > 0), 'every subscriber to get its first event after reconnecting', 60_000);
    const stormMs = performance.now() - stormStart;
    const cpuStorm = gateways.map((g, i) => cpuMs(g.child.pid) - cpuBefore[i]);
    await sleep(1000);
    producing = false;
    await producer;
    const want = (s) => expected.get(s.upc);
    await waitFor(() => subs.every((s) => s.errors.length > 0 || s.ids.length >= want(s).length), 'every subscriber to catch up', 60_000).catch(() => undefined);

    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    for (const s of subs) {
      const got = new Set(s.ids);
      lost += want(s).filter((id) => !got.has(id)).length;
      duplicated += s.ids.length - got.size;
      if (s.ids.join() !== want(s).join()) outOfOrder++;
    }
    const replay = subs
      .map((s) => s.firstReplayMs)
      .filter((x) => x !== undefined)
      .sort((x, y) => x - y);
    const cli = (...args) =>
      execFileSync('redis-cli', ['-p', String(redis.port), ...args])
        .toString()
        .trim();
    const streamKey = `${redis.prefix}stream:{reviews:REVIEW_ADDED}`;
    const entries = Number(cli('XLEN', streamKey));
    const bytes = Number(cli('MEMORY', 'USAGE', streamKey, 'SAMPLES', '0'));
    const upstreams = await Promise.all(gateways.map(async (g) => (await (await request(g.url.replace('/graphql', '/ready'))).body.json()).subscriptions.upstreams));
    console.log(
      JSON.stringify(
        {
          subscribers: SUBSCRIBERS,
          windowS: WINDOW_S,
          offlineMs: OFFLINE_MS,
          ratePerS: RATE,
          distinct: DISTINCT,
          resumeBuffer: Number(RESUME_BUFFER),
          lingerMs: Number(LINGER_MS),
          eventsSent: sent,
          reconnectToFirstReplayMs: { p50: pct(replay, 50), p99: pct(replay, 99), max: pct(replay, 100), n: replay.length },
          lost,
          duplicated,
          clientsOutOfOrder: outOfOrder,
          subscriptionErrors: subs.filter((s) => s.errors.length > 0).length,
          errorCodes: subs.reduce((acc, s) => {
            for (const e of s.errors) {
              const key = `${e[0]?.extensions?.code}: ${e[0]?.message}`;
              acc[key] = (acc[key] ?? 0) + 1;
            }
            return acc;
          }, {}),
          reconnectErrors: reconnectErrors.length,
          stormMs: Math.round(stormMs),
          gatewayCpuMsDuringStorm: cpuStorm,
          upstreamSubscriptionsAfter: upstreams,
          redisStream: { entries, bytes, bytesPerEvent: entries > 0 ? Math.round(bytes / entries) : null },
        },
        null,
        2,
      ),
    );
    await Promise.all(subs.map((s) => s.drop()));
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
