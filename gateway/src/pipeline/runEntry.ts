import type { ApolloServer, BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import { errorOutcome, isOutcome } from './outcome';
import { parseRequestEntry } from './parseRequestEntry';
import { runSteps } from './runSteps';
import type { EntryOutcome, EntryStep, GraphQLRequestEntry, RequestInfo } from './types';

/** What {@link runEntry} needs. */
export interface EntryRunner {
  readonly apollo: ApolloServer<BaseContext>;
  /** Steps run in order before execution (persisted queries, limits, …). */
  readonly steps: readonly EntryStep[];
  readonly logger: Logger;
}

function searchOf(entry: GraphQLRequestEntry): string {
  const params = new URLSearchParams();
  if (entry.query !== undefined) params.set('query', entry.query);
  if (entry.operationName !== undefined) params.set('operationName', entry.operationName);
  if (entry.variables !== undefined) params.set('variables', JSON.stringify(entry.variables));
  if (entry.extensions !== undefined) params.set('extensions', JSON.stringify(entry.extensions));
  return `?${params.toString()}`;
}

/**
 * Runs one request entry through the pipeline: shape check, every step in order, then Apollo Server's
 * request pipeline (parse, validate, plan, execute through Apollo Gateway). GET entries stay GET, so
 * Apollo Server refuses mutations over GET with 405 (GraphQL over HTTP, "GET").
 *
 * @param raw - the decoded JSON value of the entry.
 * @param beforeExecute - awaited after the steps, just before execution, with the final entry (the batch
 *   runner uses it to run a batch's mutations in order); optional.
 * @returns the entry's outcome; never throws (a failing step or executor gives 500 `INTERNAL_SERVER_ERROR`).
 */
export async function runEntry(
  runner: EntryRunner,
  raw: unknown,
  info: RequestInfo,
  beforeExecute?: (entry: GraphQLRequestEntry) => Promise<void>,
): Promise<EntryOutcome> {
  const parsed = parseRequestEntry(raw);
  if ('error' in parsed) return errorOutcome('BAD_REQUEST', parsed.error);
  let entry: GraphQLRequestEntry = parsed;
  try {
    const stepped = await runSteps(runner.steps, entry, info);
    if (isOutcome(stepped)) return stepped;
    entry = stepped;
    if (beforeExecute) await beforeExecute(entry);
    const response = await runner.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: info.method,
        headers: info.headers,
        search: info.method === 'GET' ? searchOf(entry) : '',
        body: info.method === 'POST' ? entry : undefined,
      },
      context: async () => ({}),
    });
    let body: string;
    if (response.body.kind === 'complete') body = response.body.string;
    else {
      const chunks: string[] = [];
      for await (const chunk of response.body.asyncIterator) chunks.push(chunk);
      body = chunks.join('');
    }
    const headers = new Map<string, string>();
    for (const [name, value] of response.headers) headers.set(name, value);
    return { kind: 'outcome', status: response.status ?? 200, headers, body };
  } catch (error) {
    runner.logger.error({ err: error }, 'request entry failed');
    return errorOutcome('INTERNAL_SERVER_ERROR', 'Internal server error.');
  }
}
