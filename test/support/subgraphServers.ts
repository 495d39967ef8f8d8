import type { SubgraphDefinition } from '@roam/gateway';
import type { SubgraphServer } from '@roam/subgraph-kit';
import { buildRegistrySubgraphs, IN_PROCESS_NAMES } from './inProcessStack';
import { subgraphSdl, type SubgraphName } from './stack';

/** The registry's reference subgraphs as real HTTP servers on free loopback ports inside the test process. */
export interface SubgraphServers {
  readonly urls: Record<SubgraphName, string>;
  /** Subgraph definitions for composition; `sdl` may be rewritten per name with `overrides`. */
  definitions(overrides?: Partial<Record<SubgraphName, (sdl: string) => string>>): SubgraphDefinition[];
  /** GraphQL requests served so far by all the subgraphs together. */
  requestCount(): number;
  stop(): Promise<void>;
}

/**
 * Starts the reference subgraphs in-process (each on port 0, seeded with the benchmark dataset), so a
 * test can count the requests a gateway process sends them with `requestCount()`.
 */
export async function startSubgraphServers(): Promise<SubgraphServers> {
  const servers: Record<SubgraphName, SubgraphServer> = buildRegistrySubgraphs().servers;
  const urls = {} as Record<SubgraphName, string>;
  for (const name of IN_PROCESS_NAMES) urls[name] = await servers[name].listen(0);
  return {
    urls,
    definitions: (overrides = {}) => IN_PROCESS_NAMES.map((name) => ({ name, url: urls[name], sdl: (overrides[name] ?? ((s: string) => s))(subgraphSdl(name)) })),
    requestCount: () => IN_PROCESS_NAMES.reduce((sum, name) => sum + servers[name].requestCount(), 0),
    stop: async () => {
      await Promise.all(IN_PROCESS_NAMES.map((name) => servers[name].close()));
    },
  };
}
