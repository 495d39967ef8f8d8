#!/usr/bin/env node
import { runSubgraph } from '@roam/subgraph-kit';
import { readListsConfig } from './listsConfig';
import { buildListsSubgraph } from './server';
import { openPgDatabase } from './storage/PgDatabase';
import { openPgliteDatabase } from './storage/PgliteDatabase';

/** Port of the lists subgraph when `PORT` is unset. */
export const LISTS_PORT = 4005;

void runSubgraph('lists', LISTS_PORT, async (_dataset, logger, pubsub) => {
  let config;
  try {
    config = readListsConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const db = config.databaseUrl ? openPgDatabase(config.databaseUrl) : await openPgliteDatabase(config.pgliteDir);
  logger.info({ database: db.kind }, 'lists storage open');
  return (await buildListsSubgraph({ db, userId: config.userId, maxClockDriftMs: config.maxClockDriftMs, logger, pubsub })).server;
});
