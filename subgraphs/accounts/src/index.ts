#!/usr/bin/env node
import { runSubgraph } from '@roam/subgraph-kit';
import { buildSubgraph } from './server';

// Default port and the rest of this subgraph's listing: subgraphs/registry/registry.json.
void runSubgraph('accounts', buildSubgraph);
