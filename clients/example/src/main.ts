#!/usr/bin/env node
import { createPersistedClient } from './createPersistedClient';
import { TopProductsQueryDocument, ViewerQueryDocument } from './__generated__/graphql';
import type { WireEncoding } from './wireEncoding';

/**
 * `roam-example-client`: runs the example operations against `GATEWAY_URL`
 * (@default http://127.0.0.1:4000/graphql) as client `CLIENT_NAME` (@default "example"), hash-only first,
 * with responses in `RESPONSE_ENCODING` and request bodies in `REQUEST_ENCODING` (`json` | `msgpack`, @default "json"),
 * and prints one JSON line per operation: `{"operation", "sentText", "status", "data", "errors"}`.
 * Exits 1 when an operation returns errors.
 */
function encoding(name: string): WireEncoding {
  const value = process.env[name] ?? 'json';
  if (value !== 'json' && value !== 'msgpack') throw new Error(`${name} must be json or msgpack; got ${value}`);
  return value;
}

async function main(): Promise<void> {
  const client = createPersistedClient({
    endpoint: process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql',
    clientName: process.env.CLIENT_NAME ?? 'example',
    clientVersion: '1.0.0',
    responseEncoding: encoding('RESPONSE_ENCODING'),
    requestEncoding: encoding('REQUEST_ENCODING'),
  });
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
