import type { ClientScope } from './types';

/**
 * Whether an operation pushed under `clients` may run for a request from `clientName`
 * (the `apollographql-client-name` header): yes when it has an unscoped entry or one for that name.
 *
 * @param clients - the operation's scopes.
 * @param clientName - the request's client name, undefined when the header is missing.
 */
export function isInScope(clients: readonly ClientScope[], clientName: string | undefined): boolean {
  return clients.some((c) => c.clientName === undefined || (clientName !== undefined && c.clientName === clientName));
}
