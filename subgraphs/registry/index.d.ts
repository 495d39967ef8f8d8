/** One reference subgraph, as listed in `subgraphs/registry/registry.json`. Paths are relative to the repository root. */
export interface SubgraphEntry {
  /** Subgraph name in the supergraph (`@join__graph(name:)`), lower case, e.g. `accounts`. */
  readonly name: string;
  /** npm workspace package, e.g. `@roam/subgraph-accounts`. */
  readonly package: string;
  /** Workspace folder, e.g. `subgraphs/accounts`. */
  readonly dir: string;
  /** Default TCP port (`npm start`, docker-compose, the subgraph's own `PORT` default), e.g. 4001. */
  readonly port: number;
  /** Variable `npm start` and `npm run compose` read for the port, e.g. `ACCOUNTS_PORT`. */
  readonly portVariable: string;
  /** Variable `npm start` and `npm run compose` read for the URL, e.g. `ACCOUNTS_URL`. */
  readonly urlVariable: string;
  /** SDL file, e.g. `subgraphs/accounts/schema.graphql`. */
  readonly schema: string;
  /** npm bin name, e.g. `roam-subgraph-accounts`. */
  readonly bin: string;
  /** Built entry point that listens, e.g. `subgraphs/accounts/dist/index.js`. */
  readonly main: string;
  /** Built module exporting `buildSubgraph(dataset, logger?, pubsub?)` (in-process tests), e.g. `subgraphs/accounts/dist/server.js`. */
  readonly server: string;
  /** What the subgraph's data is, for docs (e.g. `users`). */
  readonly owns: string;
  /** Whether it publishes events and so gets `REDIS_URL` in docker-compose.yml. */
  readonly redis: boolean;
  /**
   * Whether tests may build it inside the Jest process (`buildSubgraph`); `false` for a subgraph whose storage
   * cannot run there (the lists subgraph's embedded PGlite needs `--experimental-vm-modules`): such a subgraph
   * runs only as a process. @default true
   */
  readonly inProcess: boolean;
  /** Variable naming its PostgreSQL URL, when its data must last (docker-compose then runs PostgreSQL for it), e.g. `LISTS_DATABASE_URL`. */
  readonly databaseUrlVariable?: string;
}

/** Absolute path of the repository root. */
export declare const REPO_ROOT: string;
/** The reference subgraphs in composition order (frozen). */
export declare const SUBGRAPHS: readonly SubgraphEntry[];
/**
 * Validates parsed registry JSON.
 * @returns frozen entries.
 * @throws Error naming the entry and field that is wrong, or the duplicated name, port or variable.
 */
export declare function parseRegistry(raw: unknown): readonly SubgraphEntry[];
/** @returns the entry named `name`. @throws Error when the registry has none. */
export declare function subgraphByName(name: string): SubgraphEntry;
/** @returns the absolute path of a repository-relative path such as `entry.schema`. */
export declare function repoPath(relative: string): string;
/** @returns `http://127.0.0.1:<port>/graphql`, the entry's default port when `port` is omitted. */
export declare function loopbackUrl(entry: SubgraphEntry, port?: number): string;
/** @returns the text of the subgraph's `schema.graphql`. */
export declare function readSchema(entry: SubgraphEntry): string;
