#!/usr/bin/env node
import { runSubgraph } from '@roam/subgraph-kit';
import { buildAccountsSubgraph } from './server';

/** Port of the accounts subgraph when `PORT` is unset. */
export const ACCOUNTS_PORT = 4001;

void runSubgraph('accounts', ACCOUNTS_PORT, (dataset, logger) => buildAccountsSubgraph(dataset, logger).server);
