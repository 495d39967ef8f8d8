import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '@roam/testkit';
import { runCli, type CliIo } from '../../src/cli/runCli';

const BIN = resolve(__dirname, '../../dist/cli/bin.js');

function io(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env };
}

// Regression (issue 15): against a refused Redis port roam-pq waited ~9 s and reported a timeout.
describe('roam-pq against a refused Redis port', () => {
  it('reports the refusal within about a second with exit code 2 (in process, human and --json)', async () => {
    const port = await freePort(); // nothing listens there
    const human = io({ REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` });
    let started = Date.now();
    expect(await runCli(['list'], human)).toBe(2);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(human.err.join('')).toBe(`roam-pq: cannot reach Redis: connection refused at 127.0.0.1:${port}\n`);
    const machine = io();
    started = Date.now();
    expect(await runCli(['revoke', 'abc', '--json', '--redis-url', `redis://127.0.0.1:${port}`], machine)).toBe(2);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(JSON.parse(machine.out.join(''))).toEqual({ ok: false, error: `cannot reach Redis: connection refused at 127.0.0.1:${port}` });
  });

  it('the built bin exits 2 within about a second and says so', async () => {
    const port = await freePort();
    const started = Date.now();
    const run = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = execFile(process.execPath, [BIN, 'list', '--redis-url', `redis://127.0.0.1:${port}`], { env: { ...process.env, REDIS_URL: '' } }, (_error, _stdout, stderr) =>
        done({ code: child.exitCode, stderr }),
      );
    });
    const elapsedMs = Date.now() - started;
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`roam-pq: cannot reach Redis: connection refused at 127.0.0.1:${port}\n`);
    // node start-up and module loading included; the Redis part is a few ms (was ~9 s)
    expect(elapsedMs).toBeLessThan(3000);
  });
});
