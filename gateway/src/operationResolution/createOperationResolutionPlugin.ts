import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ERROR_CODES } from '../errors';
import { operationResolutionMessage } from './operationResolutionMessage';

/**
 * Apollo Server plugin that refuses a request whose `operationName` selects no operation (unknown or
 * empty name, or several operations and no name) with HTTP 400 `OPERATION_RESOLUTION_FAILURE` and
 * graphql-js's message, in `didResolveOperation` - before limits, planning or any executor runs, so
 * both executors (Roam and Apollo Gateway) answer the same. Apollo Server would otherwise hand the
 * executor a request without `operation`.
 *
 * Must be listed before plugins whose `didResolveOperation` expects an operation.
 *
 * @returns the plugin; it throws a `GraphQLError` (turned into the response by Apollo Server).
 */
export function createOperationResolutionPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(ctx) {
          if (ctx.operation) return;
          const message = operationResolutionMessage(ctx.document, ctx.request.operationName) ?? 'Must provide an operation.';
          // Apollo Server turns extensions.http into the response status and removes it.
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: ERROR_CODES.OPERATION_RESOLUTION_FAILURE.status } } });
        },
      };
    },
  };
}
