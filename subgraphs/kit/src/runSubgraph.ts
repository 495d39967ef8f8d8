import pino from 'pino';
import { subgraphByName } from '@roam/subgraph-registry';
import { readSubgraphConfig } from './subgraphConfig';
import { useSubgraphSigning } from './createSubgraphServer';
import type { BuildSubgraph, BuildSubgraphAsync } from './buildSubgraph';
import { createPubSub } from './pubsub';
import { onParentExit } from './onParentExit';

/**
 * The body of every subgraph's `index.ts`: reads the configuration, builds the server with `build`
 * over the chosen dataset, listens, and closes cleanly on SIGINT/SIGTERM/SIGHUP and when its parent
 * process goes away ({@link onParentExit}: no subgraph outlives `npm start`). Exits with code 1 and a
 * message (no stack) when the configuration is invalid or the port is taken.
 *
 * @param name - subgraph name, as in `subgraphs/registry/registry.json` (its `port` is the default
 *   when `PORT` is unset); also the name in logs.
 * @param build - the subgraph's `buildSubgraph` (or an async one that opens storage first); gets the event bus (Redis pub/sub when `REDIS_URL`
 *   is set, in-memory otherwise).
 * @throws Error (synchronously, before anything starts) when the registry has no subgraph `name`.
 */
export async function runSubgraph(name: string, build: BuildSubgraph | BuildSubgraphAsync): Promise<void> {
  const defaultPort = subgraphByName(name).port;
  let config;
  try {
    config = readSubgraphConfig(defaultPort);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = pino({ level: config.logLevel, base: { subgraph: name } });
  const pubsub = createPubSub(config.redisUrl, config.redisPrefix, logger, { maxCount: config.eventRetentionCount, maxAgeMs: config.eventRetentionMs });
  useSubgraphSigning(config.signing);
  let server;
  try {
    ({ server } = await build(config.dataset, logger, pubsub));
  } catch (error) {
    logger.fatal(`${name} subgraph could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  try {
    const url = await server.listen(config.port, config.host);
    logger.info({ url, dataset: config.dataset }, `${name} subgraph ready`);
  } catch (error) {
    logger.fatal(`${name} subgraph could not listen on ${config.host}:${config.port}: ${(error as Error).message}`);
    process.exit(1);
  }
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, `${name} subgraph stopping`);
    server
      .close()
      .then(() => pubsub.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  onParentExit(stop);
}
