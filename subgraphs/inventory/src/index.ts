#!/usr/bin/env node
import { runSubgraph } from '@roam/subgraph-kit';
import { buildInventorySubgraph } from './server';

/** Port of the inventory subgraph when `PORT` is unset. */
export const INVENTORY_PORT = 4003;

void runSubgraph('inventory', INVENTORY_PORT, (dataset, logger, pubsub) => buildInventorySubgraph(dataset, logger, pubsub).server);
