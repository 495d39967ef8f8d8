import { readFileSync } from 'node:fs';

/**
 * Names of the datasets a subgraph can start with (`DATASET` or `--dataset`). Each subgraph owns its
 * rows of each dataset (its `src/seed.ts`): `benchmark` is the public federation benchmark's data
 * (`data/benchmark.json` in each subgraph), `large` is generated (see {@link SeededStream}).
 */
export type DatasetName = 'benchmark' | 'large';

/**
 * Reads the rows under `key` of a seed JSON file (e.g. a subgraph's `data/benchmark.json`).
 *
 * @param file - absolute path of a JSON file holding `{ [key]: row[] }`.
 * @param key - the table to read, e.g. `users`.
 * @returns fresh shallow copies of the rows (callers may mutate them, e.g. stock rows).
 * @throws Error when the file cannot be read or parsed, or `key` is not an array in it.
 */
export function readSeedRows<T extends object>(file: string, key: string): T[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const rows = raw[key];
  if (!Array.isArray(rows)) throw new Error(`${file}: expected an array under "${key}"`);
  return rows.map((row: T) => ({ ...row }));
}
