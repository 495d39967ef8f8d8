import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { composeSupergraph, type SubgraphDefinition } from '@roam/gateway';
import { freePort, startProcess, type TestProcess } from '@roam/testkit';
import { readSchema, repoPath, subgraphByName, SUBGRAPHS } from '@roam/subgraph-registry';

/** Repository root. */
export const ROOT = resolve(__dirname, '..', '..');
/** Names of the reference subgraphs, in composition order (from subgraphs/registry/registry.json). */
export const SUBGRAPH_NAMES: readonly string[] = SUBGRAPHS.map((s) => s.name);
/** A reference subgraph's name (an entry of the registry). */
export type SubgraphName = string;

/** The benchmark query text and its exact expected response. */
export const BENCHMARK_QUERY = readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8');
export const BENCHMARK_EXPECTED = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/expected.json'), 'utf8')) as unknown;

/** Running reference subgraphs (real processes on free ports). */
export interface SubgraphProcesses {
  readonly urls: Record<SubgraphName, string>;
  readonly processes: Record<SubgraphName, TestProcess>;
  /** The subgraphs' definitions for composition. */
  definitions(): SubgraphDefinition[];
  stop(): Promise<void>;
}

/** @returns the SDL text of a reference subgraph's `schema.graphql`. */
export function subgraphSdl(name: SubgraphName): string {
  return readSchema(subgraphByName(name));
}

/** Starts one reference subgraph process on `port` and waits for `/health`. */
export function startSubgraph(name: SubgraphName, port: number, env: Record<string, string> = {}): Promise<TestProcess> {
  return startProcess(repoPath(subgraphByName(name).main), { PORT: String(port), ...env }, `http://127.0.0.1:${port}/health`);
}

/**
 * The subgraphs the shared e2e stack starts: every registry entry that can also run in-process (`inProcess`).
 * The lists subgraph (embedded PGlite, seconds to start) is started by its own tests (`listsStack.ts`).
 */
export const STACK_NAMES: readonly string[] = SUBGRAPHS.filter((s) => s.inProcess).map((s) => s.name);

/** Starts the subgraphs `names` (default {@link STACK_NAMES}) of the registry as processes on free ports. */
export async function startSubgraphs(env: Record<string, string> = {}, names: readonly string[] = STACK_NAMES): Promise<SubgraphProcesses> {
  const ports = await Promise.all(names.map(() => freePort()));
  const started = await Promise.all(names.map((name, i) => startSubgraph(name, ports[i]!, env)));
  const urls = Object.fromEntries(names.map((n, i) => [n, `http://127.0.0.1:${ports[i]}/graphql`])) as Record<SubgraphName, string>;
  const processes = Object.fromEntries(names.map((n, i) => [n, started[i]])) as Record<SubgraphName, TestProcess>;
  return {
    urls,
    processes,
    definitions: () => names.map((name) => ({ name, url: urls[name]!, sdl: subgraphSdl(name) })),
    stop: async () => {
      await Promise.all(Object.values(processes).map((p) => p.stop()));
    },
  };
}

/** Composes `definitions` and writes the supergraph atomically to `path` (a new temp file when omitted). @returns the path. */
export function writeSupergraph(definitions: SubgraphDefinition[], path?: string): string {
  const file = path ?? join(mkdtempSync(join(tmpdir(), 'roam-supergraph-')), 'supergraph.graphql');
  writeFileSync(`${file}.tmp`, composeSupergraph(definitions));
  renameSync(`${file}.tmp`, file);
  return file;
}

/** A running gateway process. */
export interface GatewayProcess extends TestProcess {
  /** `http://127.0.0.1:<port>/graphql` */
  readonly url: string;
  readonly port: number;
}

/**
 * Starts `gateway/dist/bin.js` on a free port against `supergraphPath` and waits for `waitPath` to answer 200:
 * `/ready` by default, `/health` for a gateway that is meant not to become ready (safelist mode without Redis).
 */
export async function startGateway(supergraphPath: string, env: Record<string, string> = {}, waitPath: '/ready' | '/health' = '/ready'): Promise<GatewayProcess> {
  const port = await freePort();
  const proc = await startProcess(
    join(ROOT, 'gateway/dist/bin.js'),
    { PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraphPath, SUPERGRAPH_POLL_INTERVAL_MS: '100', ...env },
    `http://127.0.0.1:${port}${waitPath}`,
  );
  return Object.assign(proc, { url: `http://127.0.0.1:${port}/graphql`, port });
}
