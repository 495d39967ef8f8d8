import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { freePort } from './freePort';
import { waitFor } from './waitFor';

/** A Redis server for one test file. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` (or `REDIS_URL` when given). */
  readonly url: string;
  /** TCP port, or undefined when `REDIS_URL` was given. */
  readonly port: number | undefined;
  /** A key prefix unique to this test run, ending in ":" (use it so runs never share state). */
  readonly prefix: string;
  /** Stops the server this helper started (a no-op for `REDIS_URL`). */
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts a real `redis-server` on a free loopback port with persistence off, or uses `REDIS_URL` when
 * the environment gives one (then only the key prefix isolates the test).
 *
 * @param port - a fixed port (to restart a server on the same port after stopping it); free port when omitted.
 * @throws Error when `redis-server` is not installed or does not answer PING within 10 s.
 */
export async function startRedis(port?: number): Promise<TestRedis> {
  const prefix = `roamtest:${randomBytes(4).toString('hex')}:`;
  if (process.env.REDIS_URL && port === undefined) {
    return { url: process.env.REDIS_URL, port: undefined, prefix, stop: async () => undefined };
  }
  const p = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
  let failed: Error | undefined;
  child.once('error', (e) => (failed = e));
  await waitFor(
    async () => {
      if (failed) throw new Error(`redis-server could not start (${failed.message}); install it (apt-get install redis-server)`);
      return ping(p);
    },
    `redis-server on port ${p}`,
    10_000,
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    prefix,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
