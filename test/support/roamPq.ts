import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@roam/persisted-queries';
import { runProcess, type ProcessRun } from '@roam/testkit';
import { ROOT } from './stack';

/** What one `roam-pq` run printed and how it exited. */
export type CliRun = ProcessRun;

/** Runs the built `roam-pq` bin (`persisted-queries/dist/cli/bin.js`) as its own process, from the repository root. */
export function roamPq(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runProcess(join(ROOT, 'persisted-queries/dist/cli/bin.js'), args, env, ROOT);
}

/** Writes a Code Generator-style manifest `{"<sha256>": "<text>"}` of `texts` to a new temp dir. @returns its path. */
export function writeCodegenManifest(texts: readonly string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'roam-manifest-')), 'persisted-documents.json');
  writeFileSync(file, JSON.stringify(Object.fromEntries(texts.map((t) => [sha256Hex(t), t])), null, 2));
  return file;
}

/** The APQ extension for `text`'s hash. */
export function apqExtension(text: string): { persistedQuery: { version: 1; sha256Hash: string } } {
  return { persistedQuery: { version: 1, sha256Hash: sha256Hex(text) } };
}
