#!/usr/bin/env node
import { createPersistedClient } from './createPersistedClient';
import { TopProductsQueryDocument, ViewerQueryDocument } from './__generated__/graphql';
import { ClientConfigError, readClientConfig, type ExampleClientConfig } from './readClientConfig';
import { sendIdempotentMutation } from './sendIdempotentMutation';

/** The mutation `REVIEW_BODY` sends (free text: a safelisting gateway refuses it unless it was pushed). */
const ADD_REVIEW = 'mutation AddReview($body: String!) { addReview(input: { authorId: "1", productUpc: "1", body: $body }) { id body } }';

/**
 * `roam-example-client`: runs the example operations against `GATEWAY_URL`
 * (@default http://127.0.0.1:4000/graphql) as client `CLIENT_NAME` (@default "example") version `CLIENT_VERSION`
 * (@default "1.0.0"), hash-only first, with responses in `RESPONSE_ENCODING` and request bodies in
 * `REQUEST_ENCODING` (`json` | `msgpack`, @default "json"), and prints one JSON line per operation:
 * `{"operation", "sentText", "status", "data", "errors"}`. With `REVIEW_BODY` set it then adds a review with that text as
 * one user action ({@link sendIdempotentMutation}: one idempotency key kept across its retries) and prints
 * `{"operation":"AddReview", "status", "attempts", "idempotencyKey", "replayed", "data", "errors"}`.
 * Exits 1 when any operation fails: the gateway cannot be reached, answers non-2xx, without `data`, or with
 * `errors` (each failure is still printed as a line, `{"operation","error"}` when there was no response).
 * Exits 2 with one line on stderr (no stack trace) when a setting is invalid ({@link readClientConfig}).
 */
async function main(): Promise<void> {
  let config: ExampleClientConfig;
  try {
    config = readClientConfig(process.env);
  } catch (error) {
    if (!(error instanceof ClientConfigError)) throw error;
    process.stderr.write(`roam-example-client: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  const client = createPersistedClient(config);
  const reviewBody = config.reviewBody;
  const operations: readonly (readonly [string, () => Promise<{ status: number; data?: unknown; errors?: readonly unknown[] }>])[] = [
    ['ViewerQuery', () => client.execute(ViewerQueryDocument, {})],
    ['TopProductsQuery', () => client.execute(TopProductsQueryDocument, { first: 3 })],
    ...(reviewBody !== undefined
      ? [
          [
            'AddReview',
            () => sendIdempotentMutation({ query: ADD_REVIEW, variables: { body: reviewBody }, operationName: 'AddReview' }, { endpoint: config.endpoint, clientName: config.clientName }),
          ] as const,
        ]
      : []),
  ];
  let failures = 0;
  for (const [operation, run] of operations) {
    try {
      const result = await run();
      process.stdout.write(`${JSON.stringify({ operation, ...result })}\n`);
      if (!succeeded(result)) failures++;
    } catch (error) {
      // The gateway could not be reached, or answered with something that is not a GraphQL response.
      const cause = (error as Error & { cause?: Error }).cause;
      process.stdout.write(`${JSON.stringify({ operation, error: `${(error as Error).message}${cause ? `: ${cause.message}` : ''}` })}\n`);
      failures++;
    }
  }
  process.exitCode = failures > 0 ? 1 : 0;
}

/** An operation succeeded when the gateway answered 2xx with `data` and no `errors`. */
function succeeded(result: { status: number; data?: unknown; errors?: readonly unknown[] }): boolean {
  return result.status >= 200 && result.status < 300 && result.data != null && !result.errors?.length;
}

void main();
