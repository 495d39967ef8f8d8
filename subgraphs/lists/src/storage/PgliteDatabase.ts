import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import type { Database, QueryResult } from './Database';

type PgliteAssets = Required<Pick<PGliteOptions, 'pgliteWasmModule' | 'initdbWasmModule' | 'fsBundle'>>;
type WasmModule = PgliteAssets['pgliteWasmModule'];
/** Node's global `WebAssembly` (not in this project's `lib`). */
const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WasmModule } }).WebAssembly;
let assets: PgliteAssets | undefined;

/**
 * PGlite's WebAssembly modules and file-system bundle, read from the installed package and compiled once per
 * process. Passing them in avoids PGlite's own `import('fs/promises')`, which Jest's module sandbox refuses.
 */
function loadAssets(): PgliteAssets {
  if (!assets) {
    const dist = dirname(require.resolve('@electric-sql/pglite'));
    assets = {
      pgliteWasmModule: new wasm.Module(readFileSync(join(dist, 'pglite.wasm'))),
      initdbWasmModule: new wasm.Module(readFileSync(join(dist, 'initdb.wasm'))),
      fsBundle: new Blob([readFileSync(join(dist, 'pglite.data'))]),
    };
  }
  return assets;
}

/**
 * A {@link Database} on PGlite: PostgreSQL compiled to WebAssembly, in this process. Transactions are
 * serialised by PGlite (one connection).
 * @param dataDir - directory that keeps the data across restarts; in memory when undefined.
 */
export async function openPgliteDatabase(dataDir?: string): Promise<Database> {
  const db = await PGlite.create({ dataDir, ...loadAssets() });
  return {
    kind: 'pglite',
    query: async <R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> => ({ rows: (await db.query<R>(text, params as unknown[] | undefined)).rows }),
    async exec(sql) {
      await db.exec(sql);
    },
    transaction: (fn) => db.transaction((tx) => fn({ query: async <R>(text: string, params?: readonly unknown[]) => ({ rows: (await tx.query<R>(text, params as unknown[] | undefined)).rows }) })),
    close: () => db.close(),
  };
}
