import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, InMemoryPubSub, type BuildSubgraph, type PubSub, type SubgraphServer } from '@roam/subgraph-kit';
import type { Logger } from 'pino';
import { seedReviews, type ReviewsSeed } from './seed';
import { InMemoryReviewRepository, type ReviewRepository } from './repository';
import { createLoaders } from './loaders';
import { createResolvers, REVIEW_ADDED_CHANNEL } from './resolvers';

/** The reviews subgraph's SDL (`schema.graphql`), as text. */
export const typeDefsText = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');

/** A built reviews subgraph and its repository (tests read the repository's call counts). */
export interface ReviewsSubgraph {
  readonly server: SubgraphServer;
  readonly repository: ReviewRepository;
}

/**
 * Builds the reviews subgraph over `seed.reviews` (see {@link seedReviews}) without listening. `addReview` publishes the new
 * row on `pubsub` and `Subscription.reviewAdded` listens to it.
 * @param pubsub - event bus shared by replicas; a fresh in-memory one when omitted.
 */
export function buildReviewsSubgraph(seed: ReviewsSeed, logger?: Logger, pubsub: PubSub = new InMemoryPubSub()): ReviewsSubgraph {
  const repository = new InMemoryReviewRepository(seed.reviews);
  const server = createSubgraphServer({
    name: 'reviews',
    typeDefs: parse(typeDefsText),
    resolvers: createResolvers((review) => pubsub.publish(REVIEW_ADDED_CHANNEL, review), pubsub),
    createContext: (request) => {
      const key = request?.headers['idempotency-key'];
      return { repository, loaders: createLoaders(repository), ...(typeof key === 'string' && key !== '' ? { idempotencyKey: key } : {}) };
    },
    logger,
  });
  return { server, repository };
}

/** {@link BuildSubgraph} of the reviews subgraph: its own rows of `dataset` ({@link seedReviews}), then {@link buildReviewsSubgraph}. */
export const buildSubgraph: BuildSubgraph = (dataset, logger, pubsub) => buildReviewsSubgraph(seedReviews(dataset), logger, pubsub);
