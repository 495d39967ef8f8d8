import type { BuildSubgraph, CallCounter, SubgraphServer } from '@roam/subgraph-kit';
import { repoPath, SUBGRAPHS } from '@roam/subgraph-registry';
import pino from 'pino';
import { subgraphSdl, writeSupergraph, type SubgraphName } from './stack';
import { createGateway, readConfig, type RoamGateway, type SubgraphDefinition } from '@roam/gateway';

/** Repositories by subgraph name, with their data-source call counts. */
export type Repositories = Record<SubgraphName, { readonly calls: CallCounter }>;

/** The registry's reference subgraphs built in this process, listening on free loopback ports. */
export interface InProcessSubgraphs {
  readonly servers: Record<SubgraphName, SubgraphServer>;
  /** Repositories, to read data-source call counts. */
  readonly repositories: Repositories;
  readonly urls: Record<SubgraphName, string>;
  definitions(): SubgraphDefinition[];
  close(): Promise<void>;
}

/** The registry subgraphs that can be built inside the test process (`inProcess`; not lists, whose PGlite needs a process). */
export const IN_PROCESS_NAMES: readonly string[] = SUBGRAPHS.filter((e) => e.inProcess).map((e) => e.name);

/**
 * Builds every subgraph of the registry in this process with its `buildSubgraph` (the module named by
 * the entry's `server`) over the benchmark dataset, without listening.
 */
export function buildRegistrySubgraphs(): { servers: Record<SubgraphName, SubgraphServer>; repositories: Repositories } {
  const servers: Record<SubgraphName, SubgraphServer> = {};
  const repositories: Repositories = {};
  for (const entry of SUBGRAPHS.filter((e) => e.inProcess)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named by the registry
    const { buildSubgraph } = require(repoPath(entry.server)) as { buildSubgraph: BuildSubgraph };
    const built = buildSubgraph('benchmark');
    servers[entry.name] = built.server;
    repositories[entry.name] = built.repository;
  }
  return { servers, repositories };
}

/** Builds the registry's subgraphs in-process (real HTTP servers on port 0) over the benchmark dataset. */
export async function startInProcessSubgraphs(): Promise<InProcessSubgraphs> {
  const { servers, repositories } = buildRegistrySubgraphs();
  const urls = {} as Record<SubgraphName, string>;
  for (const name of IN_PROCESS_NAMES) urls[name] = await servers[name]!.listen(0);
  return {
    servers,
    repositories,
    urls,
    definitions: () => IN_PROCESS_NAMES.map((name) => ({ name, url: urls[name]!, sdl: subgraphSdl(name) })),
    close: async () => {
      await Promise.all(IN_PROCESS_NAMES.map((n) => servers[n]!.close()));
    },
  };
}

/**
 * Starts Roam's gateway in this process over in-process subgraphs (their supergraph written to a temporary file),
 * on a free loopback port, logging nothing.
 *
 * @param subgraphs - from {@link startInProcessSubgraphs}.
 * @param env - gateway settings on top of `PORT=0`, `HOST=127.0.0.1`, `SUPERGRAPH_PATH` and `LOG_LEVEL=silent`.
 * @returns the gateway (close it after the tests) and its `/graphql` URL.
 * @throws the configuration reader's error for an invalid setting.
 */
export async function startInProcessGateway(subgraphs: InProcessSubgraphs, env: Record<string, string> = {}): Promise<{ gateway: RoamGateway; url: string }> {
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'silent', ...env });
  const gateway = createGateway(config, pino({ level: 'silent' }));
  return { gateway, url: await gateway.listen() };
}
