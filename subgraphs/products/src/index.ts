#!/usr/bin/env node
import { runSubgraph } from '@roam/subgraph-kit';
import { buildProductsSubgraph } from './server';

/** Port of the products subgraph when `PORT` is unset. */
export const PRODUCTS_PORT = 4002;

void runSubgraph('products', PRODUCTS_PORT, (dataset, logger) => buildProductsSubgraph(dataset, logger).server);
