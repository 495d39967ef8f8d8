import pino from 'pino';
import { readSubgraphConfig } from './subgraphConfig';
import { loadDataset, type Dataset } from './dataset';
import type { SubgraphServer } from './createSubgraphServer';
import type { Logger } from 'pino';
import { createPubSub, type PubSub } from './pubsub';

/**
 * The body of every subgraph's `index.ts`: reads the configuration, loads the dataset, builds the
 * server with `build`, listens, and closes cleanly on SIGINT/SIGTERM. Exits with code 1 and a message
 * (no stack) when the configuration is invalid or the port is taken.
 *
 * @param name - subgraph name for logs.
 * @param defaultPort - documented port, used when `PORT` is unset.
 * @param build - builds the server from the dataset, a logger and the event bus (Redis pub/sub when
 *   `REDIS_URL` is set, in-memory otherwise).
 */
export async function runSubgraph(name: string, defaultPort: number, build: (dataset: Dataset, logger: Logger, pubsub: PubSub) => SubgraphServer | Promise<SubgraphServer>): Promise<void> {
  let config;
  try {
    config = readSubgraphConfig(defaultPort);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = pino({ level: config.logLevel, base: { subgraph: name } });
  const pubsub = createPubSub(config.redisUrl, config.redisPrefix, logger);
  const server = await build(loadDataset(config.dataset), logger, pubsub);
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
    server.close().then(() => pubsub.close()).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
