import type { IncomingMessage } from 'node:http';
import type { ConnectionInfo } from './types';

/** Longest client name accepted, in characters. */
export const MAX_CLIENT_NAME_LENGTH = 256;

/**
 * Reads who is connecting from a `connection_init` payload: each of `apollographql-client-name` (or
 * `clientName`), `apollographql-client-version` (or `clientVersion`) and `authorization` is taken from
 * the payload itself, then from `payload.headers` (how Apollo Client and most mobile clients send
 * them), then from the HTTP upgrade request's headers.
 *
 * @returns the connection's identity, or undefined when a given value is not a string or the client
 *   name is longer than {@link MAX_CLIENT_NAME_LENGTH} (the connection is then refused with 4403).
 */
export function connectionInfo(params: Readonly<Record<string, unknown>>, request: IncomingMessage): ConnectionInfo | undefined {
  const headers = params.headers && typeof params.headers === 'object' ? (params.headers as Record<string, unknown>) : {};
  let invalid = false;
  const read = (...names: string[]): string | undefined => {
    for (const name of names) {
      for (const source of [params, headers]) {
        const value = source[name];
        if (value === undefined || value === null) continue;
        if (typeof value !== 'string') {
          invalid = true;
          return undefined;
        }
        return value;
      }
    }
    const header = request.headers[names[0] as string];
    return typeof header === 'string' ? header : undefined;
  };
  const clientName = read('apollographql-client-name', 'clientName');
  const clientVersion = read('apollographql-client-version', 'clientVersion');
  const authorization = read('authorization', 'Authorization');
  if (invalid || (clientName !== undefined && (clientName.length === 0 || clientName.length > MAX_CLIENT_NAME_LENGTH))) return undefined;
  return { clientName: clientName ?? 'anonymous', sentClientName: clientName, clientVersion, authorization, connectionParams: params, request };
}

/**
 * One header of a connection, looked up as {@link connectionInfo} reads its own: in the `connection_init` payload,
 * then `payload.headers` (names compared case-insensitively there), then the HTTP upgrade request.
 *
 * @param info - the connection.
 * @param name - lower-case header name.
 * @returns the value when it is a string, else undefined.
 */
export function connectionHeader(info: ConnectionInfo, name: string): string | undefined {
  const params = info.connectionParams;
  const direct = params[name];
  if (typeof direct === 'string') return direct;
  const headers = params.headers && typeof params.headers === 'object' ? (params.headers as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name && typeof value === 'string') return value;
  const header = info.request.headers[name];
  return typeof header === 'string' ? header : undefined;
}
