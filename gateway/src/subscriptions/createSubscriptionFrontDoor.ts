import { HeaderMap } from '@apollo/server';
import { sha256Hex } from '@roam/persisted-queries';
import type { OperationLimiter } from '@roam/operation-limits';
import { getOperationAST, GraphQLError } from 'graphql';
import { checkOperationLimits, type LimitsLogger } from '../limits/checkOperationLimits';
import { isOutcome } from '../pipeline/outcome';
import { parseRequestEntry } from '../pipeline/parseRequestEntry';
import { runSteps } from '../pipeline/runSteps';
import type { EntryOutcome, EntryStep, RequestInfo } from '../pipeline/types';
import type { CheckOperation, ConnectionInfo, ResolveOperation } from './types';

/** What {@link createSubscriptionFrontDoor} needs: the HTTP path's own steps and limiter. */
export interface SubscriptionFrontDoorOptions {
  /**
   * Pipeline steps run on every `subscribe` payload, in order: the same persisted-query step (APQ,
   * safelist, same store) and document limits step (bytes, tokens) as the HTTP route.
   */
  readonly steps: readonly EntryStep[];
  /** The HTTP path's limiter (cost, depth, aliases, root fields; per-client limits and mode). */
  readonly limiter: OperationLimiter;
  readonly logger: LimitsLogger;
}

/** The two WebSocket front-door hooks {@link createSubscriptionFrontDoor} builds. */
export interface SubscriptionFrontDoor {
  readonly resolveOperation: ResolveOperation;
  readonly checkOperation: CheckOperation;
}

/**
 * The subscription server's front door wired to the HTTP path's rules, with no second implementation of
 * them (issue 5 item 2): a `subscribe` payload is read as a GraphQL-over-HTTP request entry (a POST, not in a
 * batch, whose client is the one `connection_init` named) and run through the same steps; a parsed,
 * validated subscription is checked with {@link checkOperationLimits}, as the Apollo Server plugin does over
 * HTTP. A refusal carries the HTTP path's code and extensions (`PERSISTED_QUERY_NOT_FOUND`,
 * `PERSISTED_QUERY_NOT_IN_LIST`, `QUERY_NOT_IN_SAFELIST`, `MAX_TOKENS_LIMIT`, `COST_ESTIMATED_TOO_EXPENSIVE`
 * with `cost.estimated`/`cost.max`, …); the HTTP status and headers are dropped, and the client gets one
 * graphql-ws `error` message for that operation id.
 *
 * Queries and mutations sent over the socket are not checked by `checkOperation`: they run through Apollo
 * Server, whose limits plugin checks them with the connection's client name.
 */
export function createSubscriptionFrontDoor(options: SubscriptionFrontDoorOptions): SubscriptionFrontDoor {
  return {
    async resolveOperation(payload, connection) {
      // graphql-ws needs `query` to be a string: a hash-only payload has "" (or omitted it, see the server's reviver)
      const raw = payload.query.trim() === '' ? { ...payload, query: undefined } : payload;
      const entry = parseRequestEntry(raw);
      if ('error' in entry) return { errors: [new GraphQLError(entry.error, { extensions: { code: 'BAD_REQUEST' } })] };
      const result = await runSteps(options.steps, entry, requestInfoOf(connection));
      if (isOutcome(result)) return { errors: outcomeErrors(result) };
      if (result.query === undefined) return { errors: [new GraphQLError('Expected "query" to be a non-empty GraphQL document, or a persisted query id.', { extensions: { code: 'BAD_REQUEST' } })] };
      return { query: result.query };
    },
    async checkOperation({ document, operationName, requestVariables, query }, connection) {
      const operation = getOperationAST(document, operationName);
      if (operation?.operation !== 'subscription') return undefined;
      const { error } = checkOperationLimits(options.limiter, options.logger, { document, operation, variables: requestVariables, documentKey: sha256Hex(query), clientName: connection.sentClientName });
      return error ? [error] : undefined;
    },
  };
}

/** The request a `subscribe` payload stands for: a POST with the connection's client identity. */
function requestInfoOf(connection: ConnectionInfo): RequestInfo {
  return { method: 'POST', headers: new HeaderMap(), search: '', clientName: connection.sentClientName, clientVersion: connection.clientVersion, inBatch: false };
}

/** @returns the errors of an outcome's GraphQL response body (an `errorOutcome`), as GraphQL errors; never empty. */
function outcomeErrors(outcome: EntryOutcome): GraphQLError[] {
  const body = JSON.parse(outcome.body) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
  const errors = (body.errors ?? []).map((e) => new GraphQLError(e.message, { extensions: e.extensions }));
  return errors.length > 0 ? errors : [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
}
