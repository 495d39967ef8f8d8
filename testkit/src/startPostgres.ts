import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { freePort } from './freePort';
import { waitFor } from './waitFor';

/** A PostgreSQL cluster of one test file's own (initdb in a temp dir, trust auth, loopback only). */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** TCP port. */
  readonly port: number;
  /** Data directory (also holds the Unix socket). */
  readonly dataDir: string;
  /** `pg_ctl restart` (fast shutdown: every connection is cut), resolves when the server accepts connections again. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m immediate` (no checkpoint, as a crash), resolves when stopped (at once when it is not running). Operations run one at a time, in the order asked for. */
  stopServer(): Promise<void>;
  /** `pg_ctl start`, resolves when the server accepts connections. */
  startServer(): Promise<void>;
  /** Stops the server and removes the data directory. */
  stop(): Promise<void>;
}

/**
 * @returns the `bin` directory of the newest PostgreSQL under `/usr/lib/postgresql/<major>/bin` that has `initdb`
 *   and `pg_ctl` (Debian/Ubuntu layout), or undefined when none is installed.
 */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  return majors.map((m) => join(root, m, 'bin')).find((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
}

/**
 * @returns whether `pid` is a running process. A zombie (state `Z` in `/proc/<pid>/stat`: exited, not yet reaped,
 *   which happens to an orphaned postmaster when the container's PID 1 does not reap) counts as gone, although
 *   `kill(pid, 0)` still succeeds on it.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: trust kill(pid, 0)
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts a private PostgreSQL cluster for one test file, as {@link startRedis} starts a private `redis-server`:
 * `initdb` (trust auth, user `postgres`) into a fresh temp dir, `pg_ctl start` on a free loopback port with the
 * socket in that dir and fsync off (an OS crash could lose data; a PostgreSQL crash cannot: commits stay synchronous to the WAL, so `stopServer` followed by `startServer` is a real crash recovery). PostgreSQL refuses to run as root, so as root the binaries run as the
 * `postgres` OS user (`runuser -u postgres --`) and the dir is chowned to it. Unlike the shared server on 5432,
 * this one may be restarted or stopped by the test.
 *
 * @param options.bin - the directory of `initdb`/`pg_ctl`; @default {@link findPostgresBin}.
 * @param options.settings - extra server settings (`-c name=value`), e.g. `{ synchronous_commit: 'off' }` to make a
 *   crash lose the last acknowledged commits.
 * @returns the running cluster, or undefined when no PostgreSQL binaries are installed (the caller falls back).
 * @throws Error with initdb's/pg_ctl's output when a step fails, or when the server does not accept connections within 30 s.
 */
export async function startPostgres(options: { readonly bin?: string; readonly settings?: Readonly<Record<string, string>> } = {}): Promise<TestPostgres | undefined> {
  const bin = options.bin ?? findPostgresBin();
  if (!bin) return undefined;
  const asRoot = process.getuid?.() === 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'roam-pg-'));
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (ids.status !== 0) throw new Error('running as root and there is no "postgres" OS user to run PostgreSQL as');
    chownSync(dataDir, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
  }
  chmodSync(dataDir, 0o700);
  const run = (tool: string, args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
      execFile(cmd, argv, { timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${tool} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`)) : resolve()));
    });
  const port = await freePort();
  const pgdata = join(dataDir, 'data');
  await run('initdb', ['-D', pgdata, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const serverOptions = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off${Object.entries(options.settings ?? {})
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('')}`;
  const log = join(dataDir, 'server.log');
  const ready = () => waitFor(() => accepts(port), `PostgreSQL on port ${port}`, 30_000, 50);
  const logTail = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-8).join('\n') : '(no log)');
  /** `pg_ctl start`; once more after a pause when it fails (right after an immediate stop the old server's
   * processes may still hold its port or shared memory for a moment), with the server log's tail in the error.
   * `pg_ctl start -w` can also report failure ("stopped waiting") for a server that did come up, e.g. when it read a
   * stale pid; a server of this data directory that accepts connections on the port is what the caller asked for. */
  const pgStart = async () => {
    for (let attempt = 1; ; attempt++) {
      clearStalePid();
      try {
        await run('pg_ctl', ['start', '-D', pgdata, '-l', log, '-w', '-t', '30', '-o', serverOptions]);
        return;
      } catch (error) {
        if (serverRunning() && (await accepts(port))) return;
        if (attempt >= 3) throw new Error(`${(error as Error).message}\nserver log tail:\n${logTail()}`);
        process.stderr.write(`[startPostgres] pg_ctl start failed (attempt ${attempt}); retrying. Server log tail:\n${logTail()}\n`);
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  };
  const startServer = async () => {
    await pgStart();
    await ready();
  };
  /** @returns the postmaster pid in this data directory's `postmaster.pid`, or undefined when there is none. */
  function pidOfServer(): number | undefined {
    const pidFile = join(pgdata, 'postmaster.pid');
    if (!existsSync(pidFile)) return undefined;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }
  /** @returns whether the postmaster named in this data directory's `postmaster.pid` is running. */
  function serverRunning(): boolean {
    const pid = pidOfServer();
    return pid !== undefined && alive(pid);
  }
  /**
   * A `postmaster.pid` left by a server that is gone (an immediate stop, a crash) makes `pg_ctl start -w` say
   * "another server might be running" and then, reading the old pid, give up on a server that did start. A real host
   * restarting after a crash has no such race: remove the file when its process is gone.
   */
  function clearStalePid(): void {
    const pidFile = join(pgdata, 'postmaster.pid');
    if (!existsSync(pidFile) || serverRunning()) return;
    rmSync(pidFile, { force: true });
  }
  /** `pg_ctl stop -m immediate` (a crash), then waits until the port refuses connections; a server that is not running is already what the caller asked for. */
  const stopServer = async () => {
    await run('pg_ctl', ['stop', '-D', pgdata, '-m', 'immediate', '-w', '-t', '10']).catch((error: Error) => {
      // seen on this machine: a postmaster that does not act on SIGQUIT within the wait; a crash is what the
      // caller asked for, so kill it as the OOM killer would (its backends exit on postmaster death)
      if (!serverRunning()) return; // nothing to stop: stopped already, or killed (its postmaster.pid left behind)
      const pid = pidOfServer();
      if (pid === undefined) throw error;
      process.stderr.write(`[startPostgres] pg_ctl stop -m immediate did not stop the server; SIGKILL ${pid}\n`);
      process.kill(pid, 'SIGKILL');
    });
    await waitFor(async () => !(await accepts(port)), `PostgreSQL on port ${port} to go away`, 10_000, 50);
  };
  /**
   * One operation at a time: a test may ask for a crash while a restart it asked for earlier is still under way (the
   * client's retries come fast while the server is down); two `pg_ctl`s on one data directory at once race on
   * `postmaster.pid` (seen in CI: a start reported failure while the other's server was up).
   */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => undefined);
    return next;
  };
  await startServer();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    restart: () =>
      serial(async () => {
        try {
          await run('pg_ctl', ['restart', '-D', pgdata, '-l', log, '-m', 'fast', '-w', '-t', '30', '-o', serverOptions]);
        } catch {
          // the stop half worked and the start did not: start it as startServer does (retries, log tail on failure)
          await pgStart();
        }
        await ready();
      }),
    stopServer: () => serial(stopServer),
    startServer: () => serial(startServer),
    stop: () =>
      serial(async () => {
        await stopServer().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      }),
  };
}
