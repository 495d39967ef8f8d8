import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis, startRedisClusterNode, waitFor, type TestRedis, type TestRedisClusterNode } from '@roam/testkit';
import { CachedPersistedQueryStore } from '../../src/store/CachedPersistedQueryStore';
import { RedisPersistedQueryStore } from '../../src/store/RedisPersistedQueryStore';
import { describeStoreContract } from '../../src/__tests__/storeContract';

// The Sentinel and Cluster forms of REDIS_URL against real servers: one redis-server in Sentinel
// mode watching a master, and a one-node Redis Cluster owning all 16384 slots.

function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('redis-cli', ['-p', String(port), ...args], (error, stdout) => (error ? reject(error) : resolve(stdout))));
}

function spawnRedis(args: string[]): ChildProcess {
  return spawn('redis-server', args, { stdio: 'ignore' });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

let master: TestRedis;
let sentinel: ChildProcess;
let sentinelPort: number;
let cluster: TestRedisClusterNode;
let run = 0;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'roam-redis-topologies-'));
  master = await startRedis(await freePort());
  sentinelPort = await freePort();
  writeFileSync(join(dir, 'sentinel.conf'), `port ${sentinelPort}\nbind 127.0.0.1\nprotected-mode no\nsentinel monitor roam-master 127.0.0.1 ${master.port} 1\n`);
  sentinel = spawnRedis([join(dir, 'sentinel.conf'), '--sentinel']);
  cluster = await startRedisClusterNode();
  await waitFor(async () => (await redisCli(sentinelPort, 'SENTINEL', 'get-master-addr-by-name', 'roam-master')).includes(String(master.port)), 'the sentinel to know the master', 10_000);
});
afterAll(async () => {
  await stop(sentinel);
  await cluster?.stop();
  await master?.stop();
});

async function pair(url: string) {
  const keyPrefix = `roamtest:topology:${process.pid}:${++run}:`;
  const a = new RedisPersistedQueryStore({ url, keyPrefix, timeoutMs: 2000 });
  const b = new RedisPersistedQueryStore({ url, keyPrefix, timeoutMs: 2000 });
  try {
    await Promise.all([a.waitUntilReady(5000), b.waitUntilReady(5000)]);
  } catch (error) {
    await Promise.all([a.close(), b.close()]);
    throw error;
  }
  const store = new CachedPersistedQueryStore(a);
  const peer = new CachedPersistedQueryStore(b);
  await Promise.all([store.start(), peer.start()]);
  return { store, peer, close: async () => void (await Promise.all([store.close(), peer.close()])) };
}

describeStoreContract('Redis through Sentinel (redis+sentinel://)', () => pair(`redis+sentinel://127.0.0.1:${sentinelPort}/roam-master`));
describeStoreContract('Redis Cluster (redis+cluster://), keys in one hash-tagged slot', () => pair(cluster.url));
