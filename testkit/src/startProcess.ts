import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { waitFor } from './waitFor';

/** A child process started for a test. */
export interface TestProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node <script>` with extra environment variables and waits until `healthUrl` answers 200.
 *
 * @param script - absolute path of a built JS entry point.
 * @param env - merged over `process.env`.
 * @param healthUrl - polled until 200; skipped when omitted.
 * @param timeoutMs - how long to wait for health, in ms; @default 30000
 * @param args - command-line arguments after the script.
 * @throws Error with the process output when it exits early or never becomes healthy.
 */
export async function startProcess(script: string, env: Record<string, string>, healthUrl?: string, timeoutMs = 30_000, args: string[] = []): Promise<TestProcess> {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: TestProcess = {
    child,
    output: () => out,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  if (healthUrl) {
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
          const res = await request(healthUrl);
          await res.body.dump();
          return res.statusCode === 200;
        },
        `${script} to answer ${healthUrl}`,
        timeoutMs,
      );
    } catch (error) {
      await proc.stop();
      throw new Error(`${(error as Error).message}\n--- output ---\n${out}`);
    }
  }
  return proc;
}
