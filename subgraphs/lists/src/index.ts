#!/usr/bin/env node
import { runSubgraph } from '@roam/subgraph-kit';
import { readListsConfig } from './listsConfig';
import { buildListsSubgraph } from './server';
import { openPgDatabase } from './storage/PgDatabase';
import { openPgliteDatabase } from './storage/PgliteDatabase';

// Default port and the rest of this subgraph's listing: subgraphs/registry/registry.json.
void runSubgraph('lists', async (_dataset, logger, pubsub) => {
  const config = readListsConfig();
  const db = config.databaseUrl ? openPgDatabase(config.databaseUrl) : await openPgliteDatabase(config.pgliteDir);
  logger?.info({ database: db.kind }, 'lists storage open');
  return buildListsSubgraph({ db, userId: config.userId, maxClockDriftMs: config.maxClockDriftMs, logger, pubsub });
});
