import { execFile } from 'node:child_process';

/** What one process run printed and how it exited. */
export interface ProcessRun {
  /** Exit code; 1 when the process was killed by a signal or could not start. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node <script> ...args` to completion (unlike {@link startProcess}, which starts a server and
 * returns while it runs).
 *
 * @param script - absolute path of a built JS entry point.
 * @param args - command-line arguments.
 * @param env - merged over `process.env`.
 * @param cwd - working directory; the current one when omitted.
 * @returns exit code and output; never rejects, a non-zero exit is a result.
 */
export function runProcess(script: string, args: readonly string[], env: Record<string, string> = {}, cwd?: string): Promise<ProcessRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { ...process.env, ...env }, cwd }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
