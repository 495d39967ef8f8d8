import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort';
import { waitFor } from './waitFor';

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Masters; the 16384 slots are spread over them by `redis-cli --cluster create`. @default 3 */
  readonly masters?: number;
  /** Replicas per master (a replica is promoted when its master fails). @default 1 */
  readonly replicasPerMaster?: number;
  /** `cluster-node-timeout`, in ms: how long a silent master is waited for before its replica takes over. @default 1000 */
  readonly nodeTimeoutMs?: number;
}

/** One node of a {@link TestRedisCluster}. */
export interface TestRedisClusterMember {
  /** Its TCP port on 127.0.0.1 (the cluster bus is this + 10000). */
  readonly port: number;
  /** Kills the node (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
}

/** A Redis Cluster of real `redis-server` processes on loopback, for one test file. */
export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,…` listing every node (the form `@roam/redis` reads). */
  readonly url: string;
  readonly nodes: readonly TestRedisClusterMember[];
  /** Runs `redis-cli -p <port> …args` and returns its output (never throws). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** @returns the port of the master that now serves the slot of `key` (hash tags honoured), from `CLUSTER SLOTS` of a live node. */
  masterOf(key: string): Promise<number>;
  /** Waits until every live node reports `cluster_state:ok` and some master serves the slot of `key` (after a failover). */
  waitHealthy(key: string, timeoutMs?: number): Promise<void>;
  /** Kills every node. */
  stop(): Promise<void>;
}

function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => execFile('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 }, (_error, stdout) => resolve(String(stdout ?? ''))));
}

/**
 * Starts a Redis Cluster: `masters × (1 + replicasPerMaster)` `redis-server --cluster-enabled yes` processes
 * on free loopback ports (no persistence, `nodes.conf` in a temp directory), joined with
 * `redis-cli --cluster create … --cluster-replicas N --cluster-yes`, and waits for `cluster_state:ok` on
 * every node (Redis Cluster tutorial, "Create a Redis Cluster").
 *
 * @returns the running cluster.
 * @throws when it is not ok within 20 s, or `redis-server`/`redis-cli` are not on the PATH.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicas);
  const dir = mkdtempSync(join(tmpdir(), 'roam-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const children = new Map<number, ChildProcess>();
  for (const port of ports) {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1'];
    args.push('--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000));
    // every replica may take over whatever its last contact (validity factor 0): a test kills masters on purpose
    args.push('--cluster-replica-validity-factor', '0', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', dir, '--logfile', join(dir, `redis-${port}.log`));
    children.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
  }
  const kill = async (port: number): Promise<void> => {
    const child = children.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(ports.map(kill));
  };
  const alive = (): number[] => ports.filter((p) => children.get(p)?.exitCode === null && children.get(p)?.signalCode === null);
  const masterOf = async (key: string): Promise<number> => {
    const slot = Number((await redisCli(alive()[0]!, 'CLUSTER', 'KEYSLOT', key)).trim());
    for (const port of alive()) {
      const nodes = await redisCli(port, 'CLUSTER', 'NODES');
      for (const line of nodes.split('\n')) {
        const [, address, flags, , , , , state, ...ranges] = line.split(' ');
        if (!flags?.includes('master') || flags.includes('fail') || state !== 'connected') continue;
        for (const range of ranges) {
          const [from, to] = range.split('-').map(Number);
          const port = Number(address!.split(':')[1]!.split('@')[0]);
          if (slot >= from! && slot <= (to ?? from)! && alive().includes(port)) return port;
        }
      }
    }
    throw new Error(`no live master serves slot ${slot}`);
  };
  try {
    for (const port of ports) await waitFor(async () => (await redisCli(port, 'PING')).startsWith('PONG'), `cluster node ${port}`, 10_000);
    const created = await redisCli(ports[0]!, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes');
    if (!created.includes('[OK]')) throw new Error(`redis-cli --cluster create failed:\n${created}`);
    for (const port of ports) await waitFor(async () => (await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), `cluster_state:ok on ${port}`, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodes: ports.map((port) => ({ port, kill: () => kill(port) })),
    cli: redisCli,
    masterOf,
    async waitHealthy(key: string, timeoutMs = 20_000) {
      await waitFor(
        async () => {
          for (const port of alive()) if (!(await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
          return masterOf(key);
        },
        'the cluster to be ok with a master for the key',
        timeoutMs,
      );
    },
    stop,
  };
}
