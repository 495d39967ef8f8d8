import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CLOSE_CODES, ERROR_CODES } from '@roam/errors';
import { ROOT } from '../support/stack';

// Issue 10 item 7: one closed catalogue of codes for every Roam package. These checks read the sources, so a
// code that could be emitted without being in the table (and so in the README, see readme.test.ts) fails here.
const PACKAGES = ['gateway/src', 'persisted-queries/src', 'operation-limits/src', 'errors/src'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== '__tests__') out.push(...sources(path));
    } else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const files = PACKAGES.flatMap((p) => sources(join(ROOT, p))).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

describe('the error catalogue is closed', () => {
  it("no source outside errors/ writes a code as a literal `code: '…'` (errors are built with roamError, codes named with CODE)", () => {
    const literals = files.filter((f) => !f.path.startsWith('errors/')).flatMap((f) => [...f.text.matchAll(/code:\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => `${f.path}: ${m[1]}`));
    expect(literals).toEqual([]);
  });

  it('every code passed to roamError(…), named as CODE.X, or asserted with `satisfies ErrorCode` is in ERROR_CODES', () => {
    const used = new Set<string>();
    for (const { text } of files) {
      for (const m of text.matchAll(/roamError\(\s*'([A-Z][A-Z0-9_]+)'/g)) used.add(m[1]!);
      for (const m of text.matchAll(/\bCODE\.([A-Z][A-Z0-9_]+)/g)) used.add(m[1]!);
      for (const m of text.matchAll(/'([A-Z][A-Z0-9_]+)' satisfies ErrorCode/g)) used.add(m[1]!);
      for (const m of text.matchAll(/const \w+: ErrorCode = '([A-Z][A-Z0-9_]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });

  it('WebSocket close codes are only taken from CLOSE_CODES (no numeric close() outside it) and are unique', () => {
    const numeric = files.filter((f) => !f.path.startsWith('errors/')).flatMap((f) => [...f.text.matchAll(/\.close\(\s*(\d{4})/g)].map((m) => `${f.path}: ${m[1]}`));
    expect(numeric).toEqual([]);
    const codes = Object.values(CLOSE_CODES).map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
