import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort';
import { waitFor } from './waitFor';

/** A one-node Redis Cluster (every slot on one master) for one test. */
export interface TestRedisClusterNode {
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** `redis+cluster://127.0.0.1:<port>` (the form `@roam/redis` reads). */
  readonly url: string;
  /** Kills the node (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => execFile('redis-cli', ['-p', String(port), ...args], (_error, stdout) => resolve(String(stdout ?? ''))));
}

/**
 * Starts `redis-server --cluster-enabled yes` on a free port (no persistence, its `nodes.conf` in a temp
 * directory), assigns it every slot (`CLUSTER ADDSLOTSRANGE 0 16383`) and waits for `cluster_state:ok`.
 *
 * @returns the running node.
 * @throws when the node is not ok within 10 s (each wait), or `redis-server`/`redis-cli` are not on the PATH.
 */
export async function startRedisClusterNode(): Promise<TestRedisClusterNode> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'roam-redis-cluster-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--cluster-enabled',
    'yes',
    '--cluster-announce-ip',
    '127.0.0.1',
    '--cluster-config-file',
    join(dir, 'nodes.conf'),
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitFor(async () => (await redisCli(port, 'PING')).startsWith('PONG'), 'the cluster node', 10_000);
    await redisCli(port, 'CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor(async () => (await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), 'the one-node cluster to be ok', 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url: `redis+cluster://127.0.0.1:${port}`, stop };
}
