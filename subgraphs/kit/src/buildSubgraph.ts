import type { Logger } from 'pino';
import type { CallCounter } from './callCounter';
import type { SubgraphServer } from './createSubgraphServer';
import type { DatasetName } from './dataset';
import type { PubSub } from './pubsub';

/**
 * What every reference subgraph's `server.ts` exports as `buildSubgraph`: builds the subgraph over its
 * own rows of `dataset` without listening. `runSubgraph` (the subgraph's process) and the tests'
 * in-process stacks (test/support) call it for each entry of the registry.
 *
 * @param dataset - which seed rows to load (the subgraph owns them).
 * @param logger - pino logger; silent when omitted.
 * @param pubsub - event bus for subgraphs that publish events (a fresh in-memory one when omitted); others ignore it.
 * @returns the server and the subgraph's repository, whose `calls` count data-source calls per method (tests read them).
 */
export type BuildSubgraph = (dataset: DatasetName, logger?: Logger, pubsub?: PubSub) => { readonly server: SubgraphServer; readonly repository: { readonly calls: CallCounter } };

/**
 * A {@link BuildSubgraph} whose storage opens asynchronously (the lists subgraph migrates and seeds its database
 * first): it resolves to the server. Only processes run it (`runSubgraph`), never in-process test stacks.
 */
export type BuildSubgraphAsync = (dataset: DatasetName, logger?: Logger, pubsub?: PubSub) => Promise<{ readonly server: SubgraphServer }>;
