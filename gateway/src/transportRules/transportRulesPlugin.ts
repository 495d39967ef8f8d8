import { roamError } from '@roam/errors';
import type { PipelinePlugin } from '../pipeline/types';

/**
 * The transport rules as a pipeline concern (checked once the operation is selected, before limits and before
 * anything is registered):
 * - over HTTP GET only queries run: a mutation gets 405 `BAD_REQUEST` with `Allow: POST` (GraphQL over HTTP,
 *   "GET"; Apollo Server's message);
 * - subscriptions are served over WebSocket, or over HTTP POST as Apollo's multipart subscriptions when the
 *   `Accept` header allows them (issue 16); other HTTP requests get 400 `SUBSCRIPTION_REQUIRES_WEBSOCKET`.
 *
 * @returns the plugin; it never throws.
 */
export function transportRulesPlugin(): PipelinePlugin {
  return {
    name: 'transport-rules',
    checkOperation({ request, operation }) {
      if (request.transport !== 'http' || !operation) return undefined;
      if (operation.operation === 'subscription' && !(request.multipartSubscription && request.method === 'POST')) {
        return roamError('SUBSCRIPTION_REQUIRES_WEBSOCKET', 'Subscriptions are served over WebSocket: connect to ws(s)://<gateway>/graphql with the graphql-transport-ws subprotocol.');
      }
      if (request.method === 'GET' && operation.operation !== 'query') {
        return roamError('BAD_REQUEST', `GET requests only support query operations, not ${operation.operation} operations`, {}, { status: 405, headers: { allow: 'POST' } });
      }
      return undefined;
    },
  };
}
