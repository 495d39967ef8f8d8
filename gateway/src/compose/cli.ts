#!/usr/bin/env node
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readSchema } from '@roam/subgraph-registry';
import { readStackSettings, StackSettingsError } from '@roam/subgraph-registry/stackSettings';
import { composeSupergraph, CompositionError, type SubgraphDefinition } from './composeSupergraph';

/**
 * `npm run compose`: composes the `schema.graphql` of every subgraph in the registry
 * (`subgraphs/registry/registry.json`) into the supergraph file the local stack reads, computed by the
 * same module as `npm start` (`readStackSettings`) from the same variables: a subgraph's URL is
 * `<NAME>_URL`, else `http://127.0.0.1:<NAME>_PORT/graphql`, else its registry port; the file is
 * `--out FILE`, else `SUPERGRAPH_PATH`, else `supergraph.graphql` at the repository root when every URL
 * is the default one, else `.roam/supergraph.<ports>.graphql` (what a running `npm start` with those
 * ports watches). Written atomically (temp file + rename), so a watching gateway never reads half a
 * supergraph. Exits 1 and lists the errors (each naming its subgraph, or the variable and the value
 * given) when a variable is invalid or composition fails.
 */
function main(): void {
  let settings;
  try {
    settings = readStackSettings(process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof StackSettingsError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex >= 0 ? resolve(String(process.argv[outIndex + 1])) : settings.supergraphPath;
  const subgraphs: SubgraphDefinition[] = settings.subgraphs.map(({ entry, url }) => ({ name: entry.name, url, sdl: readSchema(entry) }));
  try {
    const sdl = composeSupergraph(subgraphs);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.tmp`, sdl);
    renameSync(`${out}.tmp`, out);
    process.stdout.write(`Composed ${subgraphs.length} subgraphs (${subgraphs.map((s) => s.name).join(', ')}) into ${out}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof CompositionError ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

if (require.main === module) main();
