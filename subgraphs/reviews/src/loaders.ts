import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { ReviewRow } from './seed';
import type { ReviewRepository } from './repository';

/** Per-request DataLoaders of the reviews subgraph. */
export interface ReviewsLoaders {
  /** Review by id; an unknown id rejects only its own load with `NOT_FOUND`. */
  readonly review: DataLoader<string, ReviewRow>;
  /** Reviews written by a user id, oldest first. */
  readonly reviewsByAuthor: DataLoader<string, ReviewRow[]>;
  /** Reviews of a product UPC, oldest first. */
  readonly reviewsByProduct: DataLoader<string, ReviewRow[]>;
}

/** Per-request context of the reviews subgraph. */
export interface ReviewsContext {
  readonly loaders: ReviewsLoaders;
  readonly repository: ReviewRepository;
  /** The request's `Idempotency-Key` header (the gateway's derived key of a keyed mutation fetch), when sent. */
  readonly idempotencyKey?: string;
}

/** @returns fresh loaders for one request (never share them across requests). */
export function createLoaders(repository: ReviewRepository): ReviewsLoaders {
  return {
    review: new DataLoader<string, ReviewRow>(async (ids) => {
      const rows = await repository.findByIds(ids);
      return rows.map((row, i) => row ?? new GraphQLError(`Review "${ids[i]}" not found.`, { extensions: { code: 'NOT_FOUND' } }));
    }),
    reviewsByAuthor: new DataLoader((ids) => repository.findByAuthorIds(ids)),
    reviewsByProduct: new DataLoader((upcs) => repository.findByProductUpcs(upcs)),
  };
}
