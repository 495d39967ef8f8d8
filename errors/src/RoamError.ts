import { GraphQLError, type ASTNode, type Source } from 'graphql';
import { ERROR_CODES, type ErrorCode } from './ERROR_CODES';

/** What a transport needs besides the error itself: the HTTP status and headers to send when it is the only outcome. */
export interface HttpHints {
  /** HTTP status; @default the code's status in {@link ERROR_CODES} */
  readonly status?: number;
  /** Extra response headers (lower-case names), e.g. `retry-after`, `allow`, `cache-control`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link roamError} besides code and message. */
export interface RoamErrorOptions extends HttpHints {
  /** Extra machine-readable fields for `extensions` (e.g. `measured`, `limit`, `serviceName`). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Response path of a field error. */
  readonly path?: readonly (string | number)[];
  /** Document nodes the error points at (become `locations`). */
  readonly nodes?: ASTNode | readonly ASTNode[];
  /** The failure behind it (logged, never sent). */
  readonly originalError?: Error;
  /** The document and character offsets the error points at (syntax errors), when there are no nodes. */
  readonly source?: Source;
  readonly positions?: readonly number[];
}

/**
 * A GraphQL error whose `extensions.code` is one of the catalogue's codes, carrying the HTTP status and
 * headers to send when it is the request's only outcome (GraphQL over HTTP, "Status codes"). Build it with
 * {@link roamError}.
 */
export class RoamError extends GraphQLError {
  /** The catalogue code (also `extensions.code`). */
  readonly code: ErrorCode;
  /** HTTP status for a response made of this error alone. */
  readonly status: number;
  /** Extra response headers for a response made of this error alone. */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param code - one of {@link ERROR_CODES}.
   * @param message - says what was expected and what came.
   * @param options - extensions, path, nodes and HTTP hints.
   */
  constructor(code: ErrorCode, message: string, options: RoamErrorOptions = {}) {
    super(message, {
      nodes: options.nodes,
      path: options.path,
      originalError: options.originalError,
      source: options.source,
      positions: options.positions,
      extensions: { ...(options.extensions ?? {}), code },
    });
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.headers = options.headers ?? {};
  }
}

/**
 * The typed factory every Roam package uses to build an error: never a literal `code:` elsewhere.
 *
 * @param code - one of {@link ERROR_CODES}; the type system refuses any other string.
 * @param message - says what was expected and what came.
 * @param extensions - extra `extensions` fields (the code is added last and wins).
 * @param options - path, nodes, original error and HTTP hints.
 * @returns the error; never throws.
 */
export function roamError(code: ErrorCode, message: string, extensions: Readonly<Record<string, unknown>> = {}, options: Omit<RoamErrorOptions, 'extensions'> = {}): RoamError {
  return new RoamError(code, message, { ...options, extensions });
}

/** @returns whether `error` is a {@link RoamError} (also across package copies: checks the shape). */
export function isRoamError(error: unknown): error is RoamError {
  return error instanceof RoamError || (error instanceof GraphQLError && typeof (error as Partial<RoamError>).status === 'number' && typeof (error as Partial<RoamError>).code === 'string');
}

/**
 * The JSON body of a response made of one error (GraphQL over HTTP, "Response"): `{"errors":[{message, extensions}]}`.
 *
 * @param code - one of {@link ERROR_CODES}.
 * @param message - the error message.
 * @param extensions - extra `extensions` fields.
 */
export function errorBody(code: ErrorCode, message: string, extensions: Readonly<Record<string, unknown>> = {}): { errors: { message: string; extensions: Record<string, unknown> }[] } {
  return { errors: [{ message, extensions: { ...extensions, code } }] };
}

/**
 * An error a subgraph reported, relayed to the client as Apollo Gateway does: the subgraph's own
 * `extensions` (its code kept when it sent one, else `DOWNSTREAM_SERVICE_ERROR`) plus `serviceName`.
 * Subgraph codes are the subgraph's, not Roam's: they are passed through, never invented here.
 *
 * @param serviceName - the subgraph that reported it.
 * @param message - its message (a placeholder when it sent none).
 * @param extensions - its `extensions`, as sent.
 * @param path - the path in the client's response, when known.
 */
export function downstreamError(serviceName: string, message: string, extensions: Readonly<Record<string, unknown>> | undefined, path?: readonly (string | number)[]): GraphQLError {
  const code: unknown = extensions?.code ?? ('DOWNSTREAM_SERVICE_ERROR' satisfies ErrorCode);
  return new GraphQLError(message, { path, extensions: { ...(extensions ?? {}), code, serviceName } });
}
