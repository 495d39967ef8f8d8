#!/usr/bin/env node
// `npm run bench:push`: the push bridge of issue 17 (README "Push bridge"). A gateway process (PUSH=on, safelist,
// registrations in a real redis-server) with the four reference subgraphs as processes; a fake APNs (HTTP/2 over
// TLS, CA made with openssl, ES256 provider token checked) in this process. BENCH_PUSH_DEVICES backgrounded devices
// register for one persisted subscription. Two phases: `burst` adds BENCH_PUSH_BURST_EVENTS reviews back to back
// at the reviews subgraph (notifications per second received by the fake APNs, from the first review to the last
// push: the bridge's throughput); `paced` adds BENCH_PUSH_EVENTS reviews every BENCH_PUSH_INTERVAL_MS (below
// saturation: the time from adding a review, just before the mutation is sent, to the fake receiving each push,
// p50/p99/max). Prints one JSON object. Noisy on a shared machine: read the figures as orders of magnitude.
'use strict';
const { mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { request } = require('undici');
const { freePort, makeTestTls, startFakeApns, startProcess, startRedis } = require('@roam/testkit');
const { composeSupergraph } = require('@roam/gateway');
const { RedisPersistedQueryStore, sha256Hex } = require('@roam/persisted-queries');

const ROOT = join(__dirname, '..');
const NAMES = ['accounts', 'products', 'inventory', 'reviews'];
const env = process.env;
const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
const S = {
  devices: num('BENCH_PUSH_DEVICES', 1000),
  burstEvents: num('BENCH_PUSH_BURST_EVENTS', 10),
  events: num('BENCH_PUSH_EVENTS', 10),
  intervalMs: num('BENCH_PUSH_INTERVAL_MS', 1000),
  registerConcurrency: 50,
};
const SUB = 'subscription BenchReviews($upc: String) { reviewAdded(upc: $upc) { id body } }';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const token = (i) => i.toString(16).padStart(64, '0');

function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function post(url, body) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

async function main() {
  const redis = await startRedis();
  const apns = await startFakeApns(makeTestTls());
  const ports = await Promise.all(NAMES.map(() => freePort()));
  const subgraphs = await Promise.all(
    NAMES.map((n, i) => startProcess(join(ROOT, 'subgraphs', n, 'dist/index.js'), { PORT: String(ports[i]), LOG_LEVEL: 'error' }, `http://127.0.0.1:${ports[i]}/health`)),
  );
  const urls = Object.fromEntries(NAMES.map((n, i) => [n, `http://127.0.0.1:${ports[i]}/graphql`]));
  const supergraphPath = join(mkdtempSync(join(tmpdir(), 'roam-bench-push-')), 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph(NAMES.map((name) => ({ name, url: urls[name], sdl: readFileSync(join(ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8') }))));
  const pq = new RedisPersistedQueryStore({ url: redis.url, keyPrefix: `${redis.prefix}pq:`, timeoutMs: 2000 });
  await pq.waitUntilReady(5000);
  await pq.push([{ id: sha256Hex(SUB), body: SUB }]);
  const gatewayPort = await freePort();
  const gateway = await startProcess(
    join(ROOT, 'gateway/dist/bin.js'),
    {
      PORT: String(gatewayPort),
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: supergraphPath,
      LOG_LEVEL: 'error',
      REDIS_URL: redis.url,
      PERSISTED_QUERIES: 'safelist',
      PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:`,
      PERSISTED_QUERIES_TIMEOUT_MS: '2000',
      PUSH: 'on',
      PUSH_KEY_PREFIX: `${redis.prefix}push:`,
      PUSH_APNS_URL: apns.url,
      PUSH_APNS_KEY: apns.keyPem,
      PUSH_APNS_KEY_ID: apns.keyId,
      PUSH_APNS_TEAM_ID: apns.teamId,
      PUSH_APNS_TOPIC: apns.topic,
      PUSH_APNS_CA: apns.caPem,
      PUSH_RATE_LIMIT_PER_DEVICE: String(S.burstEvents + S.events + 10),
    },
    `http://127.0.0.1:${gatewayPort}/ready`,
  );
  const base = `http://127.0.0.1:${gatewayPort}`;
  const result = { settings: S };
  try {
    let next = 0;
    const registerStarted = performance.now();
    await Promise.all(
      Array.from({ length: S.registerConcurrency }, async () => {
        while (next < S.devices) {
          const i = next++;
          const res = await post(`${base}/push/registrations`, { platform: 'apns', token: token(i + 1), documentId: sha256Hex(SUB), variables: { upc: '1' }, state: 'background' });
          if (res.status !== 201) throw new Error(`registration ${i} answered ${res.status}: ${JSON.stringify(res.body)}`);
        }
      }),
    );
    result.registrationsPerSecond = Math.round(S.devices / ((performance.now() - registerStarted) / 1000));
    // the bridge's upstream subscription connects asynchronously: wait for it at the reviews subgraph
    for (let i = 0; i < 100; i++) {
      const health = await (await request(urls.reviews.replace(/\/graphql$/, '/health'))).body.json();
      if (health.subscriptions.active >= 1) break;
      await sleep(100);
    }
    /** Adds `events` reviews `intervalMs` apart and waits for every push. @returns what the fake received meanwhile. */
    const phase = async (name, events, intervalMs) => {
      const from = apns.received.length;
      const sentAt = new Map();
      const firstEventAt = Date.now();
      for (let e = 0; e < events; e++) {
        const at = Date.now();
        const res = await post(urls.reviews, { query: `mutation { addReview(input: { authorId: "1", productUpc: "1", body: "${name} ${e}" }) { id } }` });
        sentAt.set(res.body.data.addReview.id, at);
        if (intervalMs > 0 && e < events - 1) await sleep(intervalMs);
      }
      const expected = S.devices * events;
      const deadline = Date.now() + 120_000;
      while (apns.received.length - from < expected && Date.now() < deadline) await sleep(20);
      const received = apns.received.slice(from).filter((r) => r.status === 200);
      const latencies = received.map((r) => r.at - (sentAt.get(r.body.roam.data?.reviewAdded?.id) ?? r.at)).sort((a, b) => a - b);
      const lastAt = Math.max(...received.map((r) => r.at));
      const perDeviceEvent = new Set(received.map((r) => `${r.token}/${r.body.roam.data?.reviewAdded?.id}`));
      return {
        expectedPushes: expected,
        receivedPushes: received.length,
        duplicates: received.length - perDeviceEvent.size,
        notificationsPerSecond: Math.round(received.length / ((lastAt - firstEventAt) / 1000)),
        eventToPushMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] },
      };
    };
    result.burst = await phase('burst', S.burstEvents, 0);
    result.paced = await phase('paced', S.events, S.intervalMs);
  } finally {
    await gateway.stop();
    await Promise.all(subgraphs.map((s) => s.stop()));
    await pq.close();
    await apns.close();
    await redis.stop();
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
