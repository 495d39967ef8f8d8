import type { IncomingMessage } from 'node:http';
import type { GraphQLError, DocumentNode } from 'graphql';
import type { VerifiedPrincipal } from '../security/Authenticator';

/** Who is on a WebSocket connection, from its `connection_init` payload (and the upgrade request). */
export interface ConnectionInfo {
  /** `apollographql-client-name` (payload, `payload.headers`, or upgrade header); "anonymous" when absent. */
  readonly clientName: string;
  /** The client name as sent; undefined when none was (the HTTP path's "no `apollographql-client-name`"). */
  readonly sentClientName: string | undefined;
  /** `apollographql-client-version`, when given. */
  readonly clientVersion: string | undefined;
  /** Credentials (`authorization` in the payload or `payload.headers`), when given. */
  readonly authorization: string | undefined;
  /** The verified caller, when authentication is on and the payload carried a valid token (README "Security"). */
  readonly principal?: VerifiedPrincipal;
  /** The whole `connection_init` payload (an empty object when none was sent). */
  readonly connectionParams: Readonly<Record<string, unknown>>;
  /** The HTTP upgrade request (headers, remote address). */
  readonly request: IncomingMessage;
}

/** The `payload` of a graphql-transport-ws `subscribe` message. */
export interface SubscribeRequest {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Readonly<Record<string, unknown>> | null;
  readonly extensions?: Readonly<Record<string, unknown>> | null;
}

/**
 * Front-door hook 1: turns a `subscribe` payload into document text, the way the HTTP path does
 * (persisted-query hash lookup, safelist). Return `{ errors }` to refuse the operation; the client
 * gets one `error` message with those errors (same codes as HTTP, e.g. `PERSISTED_QUERY_NOT_FOUND`).
 * A throw is logged and the client gets `INTERNAL_SERVER_ERROR`.
 */
export type ResolveOperation = (payload: SubscribeRequest, connection: ConnectionInfo) => Promise<{ readonly query: string } | { readonly errors: readonly GraphQLError[] }>;

/** What {@link CheckOperation} gets: one parsed, validated operation of a `subscribe` payload. */
export interface SubscribeOperation {
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  /** The variables, coerced against the operation's definitions (defaults included). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** The variables as the client sent them (what the HTTP path's limits plugin measures with). */
  readonly requestVariables: Readonly<Record<string, unknown>>;
  /** The document text {@link ResolveOperation} returned. */
  readonly query: string;
}

/**
 * Front-door hook 2: checks a parsed, validated operation (operation limits: cost, depth, aliases …)
 * before any subgraph is called. Return errors to refuse (sent as one `error` message), or nothing to accept.
 * A throw is logged and the client gets `INTERNAL_SERVER_ERROR`.
 */
export type CheckOperation = (operation: SubscribeOperation, connection: ConnectionInfo) => Promise<readonly GraphQLError[] | undefined | void>;

/**
 * Accepts or refuses a connection from its `connection_init` payload, before `connection_ack`.
 * Return false to refuse: the socket closes with 4403 Forbidden (graphql-transport-ws).
 */
export type Authenticate = (connection: ConnectionInfo) => Promise<boolean>;
