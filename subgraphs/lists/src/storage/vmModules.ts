import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * True when this process can run PGlite inside Jest: PGlite's Emscripten glue uses `import()`, which Jest's
 * CommonJS sandbox allows only under `--experimental-vm-modules`.
 */
export function vmModulesEnabled(): boolean {
  return process.execArgv.includes('--experimental-vm-modules') || (process.env.NODE_OPTIONS ?? '').includes('--experimental-vm-modules');
}

/**
 * Runs the Jest tests named `testNamePattern` of `testFile` in a child Jest with `--experimental-vm-modules`
 * (used by tests that need PGlite when the parent Jest runs without the flag).
 * @returns the child's exit status and its combined output.
 */
export function runJestWithVmModules(testFile: string, testNamePattern: string): { status: number | null; output: string } {
  const root = resolve(__dirname, '..', '..', '..', '..');
  const r = spawnSync(process.execPath, [resolve(root, 'node_modules/jest/bin/jest.js'), testFile, '--maxWorkers=1', '-t', testNamePattern], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings` },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
