import { getOperationAST, parse } from 'graphql';
import { errorOutcome } from '../pipeline/outcome';
import type { EntryStep } from '../pipeline/types';

/**
 * Pipeline step for the HTTP path: a subscription sent over HTTP gets 400
 * `SUBSCRIPTION_REQUIRES_WEBSOCKET` (instead of Apollo Gateway's 500 "Execution of subscriptions not
 * supported by gateway"), naming the WebSocket endpoint. Only text containing the word `subscription`
 * is parsed; a document that does not parse is left to Apollo Server (`GRAPHQL_PARSE_FAILED`).
 * Place it after the persisted-query step, so hash-only entries have their text.
 */
export const refuseHttpSubscriptions: EntryStep = (entry) => {
  if (typeof entry.query !== 'string' || !/\bsubscription\b/.test(entry.query)) return entry;
  let operation;
  try {
    operation = getOperationAST(parse(entry.query), entry.operationName);
  } catch {
    return entry;
  }
  if (operation?.operation !== 'subscription') return entry;
  return errorOutcome('SUBSCRIPTION_REQUIRES_WEBSOCKET', 'Subscriptions are served over WebSocket: connect to ws(s)://<gateway>/graphql with the graphql-transport-ws subprotocol.');
};
