#!/usr/bin/env node
import { runSubgraph } from '@roam/subgraph-kit';
import { buildReviewsSubgraph } from './server';

/** Port of the reviews subgraph when `PORT` is unset. */
export const REVIEWS_PORT = 4004;

void runSubgraph('reviews', REVIEWS_PORT, (dataset, logger, pubsub) => buildReviewsSubgraph(dataset, logger, pubsub).server);
