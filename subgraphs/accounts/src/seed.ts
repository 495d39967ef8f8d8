import { join } from 'node:path';
import { LARGE_DATASET_SIZES, LARGE_DATASET_STREAM, readSeedRows, SeededStream, type DatasetName } from '@roam/subgraph-kit';

/** A user row owned by the accounts subgraph. `birthday` is seconds since the Unix epoch. */
export interface UserRow {
  readonly id: string;
  readonly name: string;
  readonly username: string;
  readonly birthday: number;
}

/** The accounts subgraph's seed. */
export interface AccountsSeed {
  readonly users: readonly UserRow[];
}

const FIRST = ['Ada', 'Bo', 'Chen', 'Dara', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Juno', 'Kai', 'Lea'];
const LAST = ['Nordin', 'Okafor', 'Petrov', 'Quinn', 'Reyes', 'Sato', 'Tanaka', 'Ueda', 'Varga', 'Weiss'];

/**
 * The accounts subgraph's users of a dataset.
 * - `benchmark`: `data/benchmark.json` (6 users of the federation benchmark).
 * - `large`: {@link LARGE_DATASET_SIZES}.users generated users with ids `1..n`, the same in every
 *   process (the users' slot of {@link LARGE_DATASET_STREAM}, 3 draws per user).
 * @returns fresh rows.
 */
export function seedAccounts(dataset: DatasetName): AccountsSeed {
  if (dataset === 'benchmark') return { users: readSeedRows<UserRow>(join(__dirname, '..', 'data', 'benchmark.json'), 'users') };
  const rand = new SeededStream(LARGE_DATASET_STREAM.seed, LARGE_DATASET_STREAM.users.start);
  const users: UserRow[] = [];
  for (let i = 1; i <= LARGE_DATASET_SIZES.users; i++) {
    const first = rand.pick(FIRST);
    const last = rand.pick(LAST);
    users.push({ id: String(i), name: `${first} ${last}`, username: `${first}${last}${i}`.toLowerCase(), birthday: 631152000 + rand.below(946080000) });
  }
  return { users };
}
