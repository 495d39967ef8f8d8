#!/usr/bin/env node
import { createPersistedClient } from './createPersistedClient';
import { TopProductsQueryDocument, ViewerQueryDocument } from './__generated__/graphql';

/**
 * `roam-example-client`: runs the example operations against `GATEWAY_URL`
 * (@default http://127.0.0.1:4000/graphql) as client `CLIENT_NAME` (@default "example"), hash-only first,
 * and prints one JSON line per operation: `{"operation", "sentText", "status", "data", "errors"}`.
 * Exits 1 when an operation returns errors.
 */
async function main(): Promise<void> {
  const client = createPersistedClient({ endpoint: process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql', clientName: process.env.CLIENT_NAME ?? 'example', clientVersion: '1.0.0' });
  let failed = false;
  const viewer = await client.execute(ViewerQueryDocument, {});
  const products = await client.execute(TopProductsQueryDocument, { first: 3 });
  for (const [operation, result] of [['ViewerQuery', viewer], ['TopProductsQuery', products]] as const) {
    process.stdout.write(`${JSON.stringify({ operation, ...result })}\n`);
    if (result.errors?.length) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
