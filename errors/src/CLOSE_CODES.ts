/**
 * Every WebSocket close code (and its reason text) a Roam gateway can close a client connection with:
 * RFC 6455's own, and graphql-transport-ws's (graphql-ws `PROTOCOL.md`, `CloseCode`). The reason is a
 * stable string a client may match on; the README's "WebSocket close codes" table lists them.
 */
export const CLOSE_CODES = {
  /** RFC 6455 "Going Away": the gateway is shutting down (drain); reconnect, to another replica. */
  GOING_AWAY: { code: 1001, reason: 'Going away' },
  /** RFC 6455 "Message Too Big": a message over `MAX_BODY_BYTES`. */
  MESSAGE_TOO_BIG: { code: 1009, reason: 'Message too big' },
  /** RFC 6455 "Try Again Later": this client already holds `SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT` connections. */
  TOO_MANY_CONNECTIONS: { code: 1013, reason: 'TOO_MANY_CONNECTIONS' },
  /** graphql-ws: a malformed message. */
  BAD_REQUEST: { code: 4400, reason: 'Bad request' },
  /** graphql-ws: `subscribe` before `connection_ack`. */
  UNAUTHORIZED: { code: 4401, reason: 'Unauthorized' },
  /** graphql-ws: `connection_init` refused (bad payload, or authentication refused it). */
  FORBIDDEN: { code: 4403, reason: 'Forbidden' },
  /** graphql-ws: the socket was opened without the `graphql-transport-ws` subprotocol. */
  SUBPROTOCOL_NOT_ACCEPTABLE: { code: 4406, reason: 'Subprotocol not acceptable' },
  /** graphql-ws: no `connection_init` within `SUBSCRIPTION_CONNECTION_INIT_TIMEOUT_MS`. */
  CONNECTION_INIT_TIMEOUT: { code: 4408, reason: 'Connection initialisation timeout' },
  /** graphql-ws: an operation id already in use. */
  SUBSCRIBER_ALREADY_EXISTS: { code: 4409, reason: 'Subscriber for <id> already exists' },
  /** graphql-ws: a second `connection_init`. */
  TOO_MANY_INITIALISATION_REQUESTS: { code: 4429, reason: 'Too many initialisation requests' },
  /** Roam: the JWT the connection was authenticated with expired; reconnect with a fresh token in `connection_init`. */
  TOKEN_EXPIRED: { code: 4419, reason: 'TOKEN_EXPIRED' },
  /** Roam: the app version in `connection_init` is below `MIN_CLIENT_VERSIONS`; the reason is JSON with `minimumVersion` (and `upgradeUrl` when it fits). */
  CLIENT_VERSION_UNSUPPORTED: { code: 4426, reason: 'CLIENT_VERSION_UNSUPPORTED' },
} as const satisfies Record<string, { code: number; reason: string }>;

/** A name of {@link CLOSE_CODES}. */
export type CloseCodeName = keyof typeof CLOSE_CODES;
