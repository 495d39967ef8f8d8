import { join } from 'node:path';
import { LARGE_DATASET_SIZES, LARGE_DATASET_STREAM, readSeedRows, SeededStream, type DatasetName } from '@roam/subgraph-kit';

/** A review row owned by the reviews subgraph; `authorId` is a `User.id`, `productUpc` a `Product.upc`. */
export interface ReviewRow {
  readonly id: string;
  readonly body: string;
  readonly authorId: string;
  readonly productUpc: string;
}

/** The reviews subgraph's seed. */
export interface ReviewsSeed {
  readonly reviews: readonly ReviewRow[];
}

const WORDS = ['sturdy', 'lovely', 'cheap', 'broke', 'great', 'value', 'would', 'buy', 'again', 'never', 'fast', 'slow'];

/**
 * The reviews subgraph's reviews of a dataset.
 * - `benchmark`: `data/benchmark.json` (11 reviews of the federation benchmark).
 * - `large`: {@link LARGE_DATASET_SIZES}.reviews generated reviews whose authors and products are ids of
 *   the generated users and products, the same in every process (the last slot of {@link LARGE_DATASET_STREAM}).
 * @returns fresh rows.
 */
export function seedReviews(dataset: DatasetName): ReviewsSeed {
  if (dataset === 'benchmark') return { reviews: readSeedRows<ReviewRow>(join(__dirname, '..', 'data', 'benchmark.json'), 'reviews') };
  const rand = new SeededStream(LARGE_DATASET_STREAM.seed, LARGE_DATASET_STREAM.reviews.start);
  const reviews: ReviewRow[] = [];
  for (let i = 1; i <= LARGE_DATASET_SIZES.reviews; i++) {
    const body = Array.from({ length: 8 + rand.below(24) }, () => rand.pick(WORDS)).join(' ');
    reviews.push({ id: String(i), body, authorId: String(1 + rand.below(LARGE_DATASET_SIZES.users)), productUpc: String(1 + rand.below(LARGE_DATASET_SIZES.products)) });
  }
  return { reviews };
}
