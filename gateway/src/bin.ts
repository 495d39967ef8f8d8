#!/usr/bin/env node
import pino from 'pino';
import { ConfigError, readConfig } from './config';
import { createGateway } from './createGateway';
import { capHeapGrowth } from './heapGrowth';

/**
 * `roam-gateway` (`npx roam-gateway`): runs the gateway alone against `SUPERGRAPH_PATH` on `HOST:PORT`.
 * Exits 1 with a message naming the bad variable when the configuration is invalid, and when the
 * supergraph cannot be loaded. SIGINT/SIGTERM/SIGHUP drain in-flight requests, then exit 0. The
 * gateway never outlives the process that started it (issue 15): when its parent goes away (the `sh`
 * of `npx roam-gateway` killed by npm's forwarded SIGTERM, `npm start` killed by SIGKILL) it drains and
 * exits the same way; it notices through the IPC channel's `disconnect` when started with one, and by
 * polling `process.ppid` every 500 ms (a re-parented process's ppid changes) otherwise. It caps V8's old
 * generation growth to `HEAP_GROWTH_PERCENT` before anything else (see {@link capHeapGrowth}).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = readConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  capHeapGrowth(config.heapGrowthPercent);
  const logger = pino({ level: config.logLevel, base: { service: 'roam-gateway' } });
  const gateway = createGateway(config, logger);
  try {
    const url = await gateway.listen();
    logger.info({ url, supergraph: config.supergraphPath }, `Roam gateway ready at ${url}`);
  } catch (error) {
    logger.fatal(`Roam gateway could not start: ${(error as Error).message} (SUPERGRAPH_PATH=${config.supergraphPath}, HOST=${config.host}, PORT=${config.port})`);
    process.exit(1);
  }
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'Roam gateway draining');
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  const parentPid = process.ppid;
  if (process.channel) {
    process.once('disconnect', () => stop('parent exited'));
    process.channel.unref();
  }
  setInterval(() => process.ppid !== parentPid && stop('parent exited'), 500).unref();
}

void main();
