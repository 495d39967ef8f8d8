// Lists subgraph (issue 13) in the e2e stack. Kept apart from stack.ts so the other e2e tests do not start it;
// when the subgraph registry lands, `lists` (port 4005, subgraphs/lists) becomes one more registry entry.
import { join } from 'node:path';
import { freePort, startProcess, type TestProcess } from '@roam/testkit';
import { ROOT, startGateway, startSubgraphs, subgraphSdl, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from './stack';
import { readFileSync } from 'node:fs';

/** The four reference subgraphs, the lists subgraph and a gateway over all five, as real processes. */
export interface ListsStack {
  readonly subgraphs: SubgraphProcesses;
  lists: TestProcess;
  readonly listsPort: number;
  readonly gateway: GatewayProcess;
  /** Path of the supergraph the gateway runs (for `roam-pq push --supergraph`). */
  readonly supergraph: string;
  /** Restarts the lists process on the same port with the same environment. */
  restartLists(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `subgraphs/lists/dist/index.js` on `port` (PGlite in memory unless `env.LISTS_DATABASE_URL`). */
export function startListsSubgraph(port: number, env: Record<string, string> = {}): Promise<TestProcess> {
  return startProcess(join(ROOT, 'subgraphs/lists/dist/index.js'), { PORT: String(port), ...env }, `http://127.0.0.1:${port}/health`, 60_000);
}

/** Starts the whole stack with the lists subgraph; `listsEnv` goes to the lists process only, `gatewayEnv` to the gateway. */
export async function startListsStack(listsEnv: Record<string, string> = {}, gatewayEnv: Record<string, string> = {}): Promise<ListsStack> {
  const listsPort = await freePort();
  const [subgraphs, lists] = await Promise.all([startSubgraphs(), startListsSubgraph(listsPort, listsEnv)]);
  const supergraph = writeSupergraph([
    ...subgraphs.definitions(),
    { name: 'lists', url: `http://127.0.0.1:${listsPort}/graphql`, sdl: readFileSync(join(ROOT, 'subgraphs/lists/schema.graphql'), 'utf8') },
  ]);
  const gateway = await startGateway(supergraph, gatewayEnv);
  const stack: ListsStack = {
    subgraphs,
    lists,
    listsPort,
    gateway,
    supergraph,
    async restartLists() {
      await stack.lists.stop();
      stack.lists = await startListsSubgraph(listsPort, listsEnv);
    },
    async stop() {
      await Promise.all([gateway.stop(), stack.lists.stop(), subgraphs.stop()]);
    },
  };
  return stack;
}

export { subgraphSdl };
