#!/usr/bin/env node
// Redis Streams vs NATS JetStream for the durable event log of issue 17 (not a test): the measurement behind
// the choice in README "Resumable subscriptions". Starts its own redis-server and `nats-server -js` on free
// ports and, for each, appends N events of ~200 bytes one by one (each acknowledged: the subgraph's publish
// path), then replays all of them from the start (a resume), and reads the memory per retained event.
//
//   npm run build && node bench/streamsVsJetStream.js [--events 5000]
//
// Redis goes through Roam's own RedisEventLog (@roam/redis: MULTI XADD+XTRIM, then a pub/sub notification;
// replay = XRANGE pages). JetStream is driven over the NATS text protocol (no client library is a dependency
// of Roam): PUB with a reply inbox per event (the JetStream publish ack), replay by an ephemeral push consumer
// (deliver_policy all, ack none), memory from $JS.API.STREAM.INFO (state.bytes / state.messages), for a memory
// stream and a file stream. Prints one JSON object. Noisy on a shared machine.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { freePort, startRedis, waitFor } = require('../testkit/dist');
const { createRedisConnections, RedisChannels, RedisEventLog, redisKeyspace } = require('../redis/dist');

const i = process.argv.indexOf('--events');
const EVENTS = i > 0 ? Number(process.argv[i + 1]) : 5000;
const PAYLOAD = { id: '123', productUpc: '1', authorId: '1', body: 'x'.repeat(150) };
const pct = (sorted, p) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 1000) / 1000;
const summary = (latencies, totalMs) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { appendsPerS: Math.round((latencies.length / totalMs) * 1000), appendP50Ms: pct(sorted, 50), appendP99Ms: pct(sorted, 99) };
};

async function redisRun() {
  const redis = await startRedis();
  const connections = createRedisConnections(redis.url, { commandTimeoutMs: 2000 });
  await connections.waitUntilReady(5000);
  const root = redisKeyspace(redis.prefix);
  const channels = new RedisChannels(connections, root.namespace('events'));
  const log = new RedisEventLog(connections, root.namespace('stream'), channels, { retention: { maxCount: EVENTS * 2, maxAgeMs: 3_600_000 } });
  try {
    const latencies = [];
    const start = performance.now();
    for (let n = 0; n < EVENTS; n++) {
      const t = performance.now();
      await log.append('bench', PAYLOAD);
      latencies.push(performance.now() - t);
    }
    const appendMs = performance.now() - start;
    const replayStart = performance.now();
    let replayed = 0;
    let after = '0-0';
    for (;;) {
      const page = await log.read('bench', after);
      replayed += page.length;
      if (page.length === 0) break;
      after = page[page.length - 1].position;
    }
    const replayMs = performance.now() - replayStart;
    const key = log.streamKey('bench');
    const bytes = Number(execFileSync('redis-cli', ['-p', String(redis.port), 'MEMORY', 'USAGE', key, 'SAMPLES', '0']).toString());
    return { ...summary(latencies, appendMs), replayed, replayEventsPerS: Math.round((replayed / replayMs) * 1000), bytesPerEvent: Math.round(bytes / EVENTS) };
  } finally {
    log.close();
    channels.close();
    await connections.close();
    await redis.stop();
  }
}

/** A minimal NATS protocol client: CONNECT, SUB, PUB, and MSG/HMSG parsing. */
class Nats {
  static async connect(port) {
    const c = new Nats();
    c.socket = net.createConnection({ host: '127.0.0.1', port });
    c.socket.setNoDelay(true); // as every NATS client: no Nagle delay on small publishes
    c.buffer = Buffer.alloc(0);
    c.handlers = new Map();
    c.sid = 0;
    c.socket.on('data', (d) => c.onData(d));
    await new Promise((resolve, reject) => {
      c.socket.once('error', reject);
      c.pong = resolve;
      c.socket.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nPING\r\n');
    });
    return c;
  }
  onData(data) {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const eol = this.buffer.indexOf('\r\n');
      if (eol < 0) return;
      const line = this.buffer.subarray(0, eol).toString();
      const [op, ...args] = line.split(' ');
      if (op === 'MSG' || op === 'HMSG') {
        const total = Number(args[args.length - 1]);
        if (this.buffer.length < eol + 2 + total + 2) return;
        const body = this.buffer.subarray(eol + 2, eol + 2 + total);
        this.buffer = this.buffer.subarray(eol + 2 + total + 2);
        const headerBytes = op === 'HMSG' ? Number(args[args.length - 2]) : 0;
        this.handlers.get(args[1])?.(body.subarray(headerBytes).toString(), headerBytes > 0 ? body.subarray(0, headerBytes).toString() : '');
        continue;
      }
      this.buffer = this.buffer.subarray(eol + 2);
      if (op === 'PING') this.socket.write('PONG\r\n');
      else if (op === 'PONG') this.pong?.();
      else if (op === '-ERR') throw new Error(line);
    }
  }
  subscribe(subject, handler) {
    const sid = String(++this.sid);
    this.handlers.set(sid, handler);
    this.socket.write(`SUB ${subject} ${sid}\r\n`);
  }
  publish(subject, reply, payload) {
    const body = Buffer.from(payload);
    this.socket.write(Buffer.concat([Buffer.from(`PUB ${subject} ${reply ? `${reply} ` : ''}${body.length}\r\n`), body, Buffer.from('\r\n')]));
  }
  request(subject, payload) {
    const inbox = `_INBOX.${Math.random().toString(36).slice(2)}`;
    return new Promise((resolve) => {
      this.subscribe(inbox, (body) => resolve(JSON.parse(body)));
      this.publish(subject, inbox, payload);
    });
  }
  close() {
    this.socket.destroy();
  }
}

async function jetStreamRun(storage) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'roam-nats-'));
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  try {
    await waitFor(
      () =>
        new Promise((resolve) =>
          net
            .createConnection({ host: '127.0.0.1', port })
            .once('connect', function () {
              this.destroy();
              resolve(true);
            })
            .once('error', () => resolve(false)),
        ),
      'nats-server',
      10_000,
    );
    const nats = await Nats.connect(port);
    const created = await nats.request('$JS.API.STREAM.CREATE.BENCH', JSON.stringify({ name: 'BENCH', subjects: ['bench.events'], storage, max_msgs: EVENTS * 2 }));
    if (created.error) throw new Error(JSON.stringify(created.error));
    // one inbox for every publish ack: acks come back in publish order
    const acks = [];
    nats.subscribe('_INBOX.acks', () => acks.shift()?.());
    const json = JSON.stringify(PAYLOAD);
    const latencies = [];
    const start = performance.now();
    for (let n = 0; n < EVENTS; n++) {
      const t = performance.now();
      await new Promise((resolve) => {
        acks.push(resolve);
        nats.publish('bench.events', '_INBOX.acks', json);
      });
      latencies.push(performance.now() - t);
    }
    const appendMs = performance.now() - start;
    let replayed = 0;
    const replayStart = performance.now();
    await new Promise((resolve) => {
      nats.subscribe('bench.replay', (body, headers) => {
        if (headers.startsWith('NATS/1.0 100')) return; // idle heartbeat / flow control
        if (++replayed === EVENTS) resolve();
      });
      void nats.request(
        '$JS.API.CONSUMER.CREATE.BENCH',
        JSON.stringify({ stream_name: 'BENCH', config: { deliver_subject: 'bench.replay', deliver_policy: 'all', ack_policy: 'none', replay_policy: 'instant' } }),
      );
    });
    const replayMs = performance.now() - replayStart;
    const info = await nats.request('$JS.API.STREAM.INFO.BENCH', '');
    nats.close();
    return { ...summary(latencies, appendMs), replayed, replayEventsPerS: Math.round((replayed / replayMs) * 1000), bytesPerEvent: Math.round(info.state.bytes / info.state.messages) };
  } finally {
    server.kill('SIGKILL');
  }
}

async function main() {
  const result = { events: EVENTS, payloadBytes: JSON.stringify(PAYLOAD).length, redisStreams: await redisRun() };
  try {
    result.jetStreamMemory = await jetStreamRun('memory');
    result.jetStreamFile = await jetStreamRun('file');
  } catch (error) {
    result.jetStream = `not measured: ${error.message} (is nats-server on the PATH?)`;
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
