/**
 * Turns a GraphQL HTTP URL into the WebSocket URL of the same endpoint.
 *
 * @param httpUrl - `http://host:port/graphql` (or `https://…`).
 * @returns `ws://host:port/graphql` (or `wss://…`).
 */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}
