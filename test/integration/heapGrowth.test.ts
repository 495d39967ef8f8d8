import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Issue 19 (memory): `roam-gateway` caps V8's old-generation growth with HEAP_GROWTH_PERCENT (V8's
// --heap-growing-percent, set with v8.setFlagsFromString after start). This checks that the flag set that late
// takes effect in the real binary: after a full GC, V8's trace (--trace-gc-verbose) prints the factor it used
// for the next limit, `[HeapController] Limit: old size: … KB, new limit: … KB (<factor>)`.
const ROOT = join(__dirname, '../..');

/** Starts gateway/dist/bin.js, forces one full GC once it is ready, and returns the heap growth factor V8 printed for it. */
async function factorAfterFullGc(heapGrowthPercent: string, dir: string): Promise<string> {
  const preload = join(dir, 'gcOnSignal.js');
  writeFileSync(preload, `process.on('SIGUSR2', () => { global.gc(); process.stdout.write('\\nFULL-GC-DONE\\n'); });\n`);
  const child = spawn(process.execPath, ['--expose-gc', '--trace-gc-verbose', '-r', preload, join(ROOT, 'gateway/dist/bin.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql'), LOG_LEVEL: 'info', HEAP_GROWTH_PERCENT: heapGrowthPercent },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      let signalled = false;
      child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before the GC:\n${out.slice(-2000)}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (!signalled && out.includes('Roam gateway ready')) {
          signalled = true;
          child.kill('SIGUSR2');
        }
        const done = out.indexOf('FULL-GC-DONE');
        if (done >= 0) {
          const limits = [...out.slice(0, done).matchAll(/\[HeapController\] Limit: old size: \d+ KB, new limit: \d+ KB \(([\d.]+)\)/g)];
          if (limits.length === 0) reject(new Error(`no heap limit in V8's trace:\n${out.slice(-2000)}`));
          else resolve(limits[limits.length - 1]![1]!);
        }
      });
    });
  } finally {
    child.kill('SIGKILL');
  }
}

describe('HEAP_GROWTH_PERCENT (issue 19, memory)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'roam-heap-growth-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sets the factor of the next old-generation limit after a full GC: 1 + percent / 100', async () => {
    expect(await factorAfterFullGc('50', dir)).toBe('1.5');
    expect(await factorAfterFullGc('200', dir)).toBe('3.0');
    // 0: V8 chooses (here, a forced GC of a small idle heap: not 1.5)
    expect(await factorAfterFullGc('0', dir)).not.toBe('1.5');
  }, 120_000);
});
