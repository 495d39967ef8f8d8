#!/usr/bin/env node
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { composeSupergraph, CompositionError, type SubgraphDefinition } from './composeSupergraph';

/** The reference subgraphs, their default ports, and the variable that overrides each URL. */
export const REFERENCE_SUBGRAPHS = [
  { name: 'accounts', port: 4001 },
  { name: 'products', port: 4002 },
  { name: 'inventory', port: 4003 },
  { name: 'reviews', port: 4004 },
] as const;

/**
 * `npm run compose`: composes `subgraphs/<name>/schema.graphql` of the reference subgraphs into
 * `supergraph.graphql` at the repository root (or `--out FILE`). A subgraph's URL is
 * `<NAME>_URL` (e.g. `ACCOUNTS_URL`) or `http://127.0.0.1:<port>/graphql`. The file is written
 * atomically (temp file + rename), so a watching gateway never reads half a supergraph.
 * Exits 1 and lists the errors, each naming its subgraph, when composition fails.
 */
function main(): void {
  const root = resolve(__dirname, '..', '..', '..');
  const outIndex = process.argv.indexOf('--out');
  const out = resolve(outIndex >= 0 ? String(process.argv[outIndex + 1]) : join(root, 'supergraph.graphql'));
  const subgraphs: SubgraphDefinition[] = REFERENCE_SUBGRAPHS.map(({ name, port }) => ({
    name,
    url: process.env[`${name.toUpperCase()}_URL`] || `http://127.0.0.1:${port}/graphql`,
    sdl: readFileSync(join(root, 'subgraphs', name, 'schema.graphql'), 'utf8'),
  }));
  try {
    const sdl = composeSupergraph(subgraphs);
    writeFileSync(`${out}.tmp`, sdl);
    renameSync(`${out}.tmp`, out);
    process.stdout.write(`Composed ${subgraphs.length} subgraphs (${subgraphs.map((s) => s.name).join(', ')}) into ${out}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof CompositionError ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

if (require.main === module) main();
