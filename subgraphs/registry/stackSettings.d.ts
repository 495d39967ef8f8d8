import type { SubgraphEntry } from './index';

/** One subgraph of the local stack: its registry entry, the port `npm start` runs it on and the URL composed into the supergraph. */
export interface StackSubgraph {
  readonly entry: SubgraphEntry;
  readonly port: number;
  readonly url: string;
}

/** What `npm start` and `npm run compose` both derive from the same variables. */
export interface StackSettings {
  readonly subgraphs: readonly StackSubgraph[];
  /** Absolute path of the supergraph file: `SUPERGRAPH_PATH`, the tracked `supergraph.graphql` (default URLs), or `.roam/supergraph.<ports>.graphql`. */
  readonly supergraphPath: string;
  /** True when every URL is the registry's default loopback URL. */
  readonly defaultUrls: boolean;
}

/** Thrown by {@link readStackSettings}; `problems` has one line per bad variable, naming it and the value given. */
export declare class StackSettingsError extends Error {
  readonly problems: readonly string[];
}

/**
 * Reads `<NAME>_PORT`, `<NAME>_URL` of every registry entry and `SUPERGRAPH_PATH` from `env`.
 * @throws StackSettingsError listing every invalid or duplicated variable.
 */
export declare function readStackSettings(env: Record<string, string | undefined>): StackSettings;
