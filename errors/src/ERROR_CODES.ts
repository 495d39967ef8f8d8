/**
 * Every `extensions.code` a client (or a `roam-pq` user) can receive from any Roam package, with its HTTP
 * status and meaning: the closed catalogue (issue 10 item 7). Codes are stable once shipped. Where Apollo
 * Router or Apollo Server defines a code for the same condition, Roam uses theirs so existing mobile
 * clients keep working. The README's "Error codes" table is checked against this object by a test, and
 * a lint rule forbids `code: '…'` literals outside this package: errors are built with {@link roamError}.
 *
 * `status` is the HTTP status sent when the error is a request's only outcome (200 for errors that travel
 * inside a partial result or a WebSocket message).
 */
export const ERROR_CODES = {
  BAD_REQUEST: {
    status: 400,
    description:
      'The HTTP request is not a GraphQL request: malformed JSON or MessagePack, a corrupt compressed body, missing `query`, a field of the wrong type, bad `variables`, `variables` or `extensions` nested deeper than 64 levels of objects/arrays (Apollo Server). Also sent with 405 for a mutation over GET.',
  },
  GRAPHQL_PARSE_FAILED: { status: 400, description: 'The document is not valid GraphQL syntax (Apollo Server).' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, description: 'The document does not validate against the supergraph schema (Apollo Server).' },
  BAD_USER_INPUT: { status: 200, description: 'A variable or argument value was rejected (Apollo Server; 400 when variable coercion fails).' },
  OPERATION_RESOLUTION_FAILURE: {
    status: 400,
    description:
      'The requested `operationName` (also an empty one) is not in the document, or the document has several operations and none was named; graphql-js\'s message, e.g. `Unknown operation named "B".` (Apollo Server).',
  },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, description: 'APQ: the hash is not registered; resend with the query text (Apollo APQ protocol).' },
  PERSISTED_QUERY_HASH_MISMATCH: {
    status: 400,
    description: 'APQ: `extensions.persistedQuery.sha256Hash` is not the SHA-256 of the `query` sent (or, in safelist mode, the text differs from the registered one); nothing ran or was stored.',
  },
  PERSISTED_QUERY_NOT_IN_LIST: { status: 404, description: 'Safelist: the id is not registered for this client (Apollo Router).' },
  QUERY_NOT_IN_SAFELIST: { status: 403, description: 'Safelist: free query text that is not a registered operation (Apollo Router).' },
  PERSISTED_QUERY_STORE_UNAVAILABLE: {
    status: 503,
    description: 'Safelist: Redis did not answer within `PERSISTED_QUERIES_TIMEOUT_MS` and the id is not in the local cache; retry (`Retry-After: 1`).',
  },
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 400, description: 'Persisted queries are turned off on this gateway (Apollo Server).' },
  SUBREQUEST_MALFORMED_RESPONSE: {
    status: 200,
    description:
      'A subgraph answered 2xx but not with a GraphQL response the plan can use (not JSON, no `data` object, or `_entities` of the wrong length); the fields it owns are null and `extensions.serviceName` names it (Apollo Router).',
  },
  SUBREQUEST_HTTP_ERROR: { status: 200, description: 'A subgraph could not be reached, timed out or answered with a non-2xx status; the fields it owns are null (Apollo Router).' },
  DOWNSTREAM_SERVICE_ERROR: { status: 200, description: 'A subgraph answered with a GraphQL error; its `extensions.serviceName` names the subgraph (Apollo Gateway).' },
  PAYLOAD_TOO_LARGE: { status: 413, description: "The request body, or its decompressed content, is larger than `MAX_BODY_BYTES` or the client's override (Apollo Router)." },
  COST_ESTIMATED_TOO_EXPENSIVE: {
    status: 400,
    description:
      'The estimated cost of the operation (`@cost`/`@listSize`, demand-control rules) is over `MAX_COST`; `extensions` has `measured`, `limit`, `cost.estimated`, `cost.max` (Apollo Router).',
  },
  MAX_DEPTH_LIMIT: { status: 400, description: 'The operation nests fields deeper than `MAX_DEPTH`; `extensions` has `measured` and `limit` (Apollo Router).' },
  MAX_ALIASES_LIMIT: { status: 400, description: 'The operation has more aliases than `MAX_ALIASES`; `extensions` has `measured` and `limit` (Apollo Router).' },
  MAX_ROOT_FIELDS_LIMIT: { status: 400, description: 'The operation selects more root fields than `MAX_ROOT_FIELDS`; `extensions` has `measured` and `limit` (Apollo Router).' },
  MAX_TOKENS_LIMIT: { status: 400, description: 'The document has more lexical tokens than `MAX_TOKENS` (parsing stops there); `extensions` has `measured` and `limit`.' },
  MAX_DOCUMENT_BYTES_LIMIT: { status: 400, description: 'The document text is longer than `MAX_DOCUMENT_BYTES` (UTF-8 bytes); `extensions` has `measured` and `limit`.' },
  BATCH_LIMIT_EXCEEDED: { status: 400, description: 'A batch (JSON array) has more entries than `MAX_BATCH_SIZE`; nothing in it runs; `extensions` has `measured` and `limit` (Apollo Router).' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The request `Content-Type` is not `application/json` or `application/msgpack`, or its `Content-Encoding` is not gzip, br, deflate or identity.',
  },
  NOT_ACCEPTABLE: { status: 406, description: 'The `Accept` header allows none of `application/json`, `application/graphql-response+json`, `application/msgpack`.' },
  REQUEST_TIMEOUT: { status: 408, description: 'The client did not send the whole request (headers and body) within `REQUEST_TIMEOUT_MS`; the connection is closed.' },
  REQUEST_HEADER_FIELDS_TOO_LARGE: { status: 431, description: 'The request headers are larger than Node.js accepts (16 KiB in all); the connection is closed.' },
  GATEWAY_OVERLOADED: {
    status: 503,
    description: 'More than `MAX_INFLIGHT_REQUESTS` requests were in flight; this one was refused before any work (no subgraph was called). Retry after the `Retry-After` seconds.',
  },
  SUPERGRAPH_NOT_READY: { status: 503, description: 'The gateway has not loaded a supergraph yet; retry shortly.' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    description: "A method other than GET or POST was used on `/graphql`; the `Allow` header lists what works. (A mutation over GET gets Apollo Server's 405 `BAD_REQUEST` with `Allow: POST`.)",
  },
  NOT_FOUND: { status: 404, description: 'No route at this path (the GraphQL endpoint is `/graphql`).' },
  SUBSCRIPTION_REQUIRES_WEBSOCKET: {
    status: 400,
    description:
      'A subscription was sent over HTTP without `Accept: multipart/mixed;subscriptionSpec=1.0` (or with GET); subscriptions are served over WebSocket (`graphql-transport-ws`) or as Apollo multipart HTTP subscriptions (POST) on the same `/graphql` path.',
  },
  SUBSCRIPTION_SCHEMA_RELOAD: {
    status: 200,
    description: 'WebSocket `error` message: the supergraph was reloaded and this subscription no longer has the same plan (or no longer validates); resubscribe (Apollo Router).',
  },
  SUBSCRIPTION_UPSTREAM_ERROR: {
    status: 200,
    description:
      'WebSocket `error` message: the subgraph that owns the subscription field could not be reached (or its circuit is open), or its stream broke and could not be re-opened within its reconnect bound (`SUBGRAPH_POLICIES` `reconnect`), or the gateway is shutting down; `extensions.serviceName` and `reason` say which and why. Resubscribe with backoff.',
  },
  TOO_MANY_SUBSCRIPTIONS: {
    status: 200,
    description:
      'WebSocket `error` message: the connection already runs `SUBSCRIPTION_MAX_PER_CONNECTION` subscriptions; over HTTP (429): the client already holds `SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT` multipart subscriptions.',
  },
  SUBSCRIPTION_OVERFLOW: {
    status: 200,
    description:
      'WebSocket `error` message: the client read too slowly (its send buffer passed `SUBSCRIPTION_MAX_BUFFERED_BYTES`) or more than `SUBSCRIPTION_MAX_QUEUED_EVENTS` events waited for enrichment; resubscribe.',
  },
  SUBSCRIPTION_RESUME_GAP: {
    status: 200,
    description:
      'WebSocket `error` message: the subscribe payload asked to resume after `extensions.lastEventId`, but events after it are past the retention window (`EVENT_RETENTION_COUNT`, `EVENT_RETENTION_MS`) and were dropped; refetch the data, then subscribe again without `lastEventId`. Over a multipart HTTP subscription: one `{"payload": null, "errors": [...]}` part, then the end. Also sent, not terminal, as one `next` result (`data: null`, `reason: "upstream reconnected"`) when the gateway re-opened a dropped subgraph stream that had no event id to resume from: events may be missing, refetch the data; the subscription goes on.',
  },
  SUBSCRIPTION_RESUME_INVALID: {
    status: 200,
    description:
      'WebSocket `error` message: `extensions.lastEventId` is not an event id this subscription could have delivered: malformed, from another event stream, or beyond the newest event (from the future); subscribe again without it (after a refetch). Over a multipart HTTP subscription: one `{"payload": null, "errors": [...]}` part, then the end.',
  },
  SUBSCRIPTION_RESUME_UNSUPPORTED: {
    status: 200,
    description:
      'WebSocket `error` message: `extensions.lastEventId` was sent for a subscription field whose events are not kept in an event stream (it has its own cursor argument); subscribe without it. Over a multipart HTTP subscription: one `{"payload": null, "errors": [...]}` part, then the end.',
  },
  COST_NOT_ESTIMATED: {
    status: 400,
    description:
      '`roam-pq verify`/`push` only: the cost of an operation in a manifest could not be estimated (e.g. more than 20000 selections); nothing is written. The gateway answers the same operation with `COST_ESTIMATED_TOO_EXPENSIVE`.',
  },
  CLIENT_VERSION_UNSUPPORTED: {
    status: 400,
    description:
      'The app version (`apollographql-client-version`) is older than `MIN_CLIENT_VERSIONS` allows for its client name; `extensions` has `clientVersion`, `minimumVersion` and, when configured, `upgradeUrl`. Over WebSocket, `connection_init` is refused with close 4426.',
  },
  RESPONSE_TOO_LARGE: {
    status: 200,
    description:
      'The response would hold more than `MAX_RESPONSE_FIELDS` fields (object keys and list items, counted while it is built, so it stops early); nothing of it is sent. Ask for less: fewer aliases, smaller pages; `extensions.limit` is the bound.',
  },
  UNAUTHENTICATED: {
    status: 401,
    description:
      'Authentication (`AUTH_MODE`): the request needs a valid JWT bearer token and sent none (`reason: MISSING`), an expired one (`EXPIRED`) or one that failed verification: signature, key, algorithm, issuer, audience or format (`INVALID`). `WWW-Authenticate: Bearer`. Over WebSocket, `connection_init` is refused with close 4403.',
  },
  AUTHENTICATION_UNAVAILABLE: {
    status: 503,
    description: 'Authentication: the signing keys could not be fetched from `AUTH_JWKS_URL` (and none cached matches the token); retry after `Retry-After` seconds.',
  },
  UNAUTHORIZED_FIELD_OR_TYPE: {
    status: 200,
    description:
      'Authorization (`@authenticated`, `@requiresScopes` in the supergraph): the field at `path` needs an authenticated caller or scopes this caller lacks; it was removed before any subgraph call and is null (Apollo Router). With `AUTHORIZATION_UNAUTHORIZED=reject`, or for a subscription, the whole operation is refused (403).',
  },
  REQUEST_RATE_LIMITED: {
    status: 429,
    description:
      'Rate limits (`RATE_LIMIT_*`): this user or client spent its requests or cost points for the window; retry after `Retry-After` seconds. `extensions` has `limit` (which budget: `user-requests`, `client-requests`, `user-cost`, `client-cost`) and `retryAfterSeconds` (Apollo Router).',
  },
  QUERY_PLANNING_FAILED: {
    status: 400,
    description:
      'The operation validates but the query planner found no way to fetch some of its fields from the subgraphs (e.g. a field only an interface object with a non-resolvable key provides); nothing ran (Apollo Router).',
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    description:
      'The idempotency key (`Idempotency-Key` header, or `extensions.idempotencyKey` of a batch entry or WebSocket operation) is empty, longer than 256 characters or not a valid header value; or the header was sent on a batch with mutations (use one key per entry). Nothing ran.',
  },
  IDEMPOTENCY_KEY_MISMATCH: {
    status: 422,
    description:
      'The idempotency key was already used by this client with a different request (document, operation name or variables); nothing ran. Use a new key for a new request (IETF idempotency-key draft).',
  },
  IDEMPOTENCY_REQUEST_IN_PROGRESS: {
    status: 409,
    description: 'A request with the same idempotency key is still executing; nothing ran. Retry after `Retry-After` seconds with the same key to get its response (IETF idempotency-key draft).',
  },
  IDEMPOTENCY_STORE_UNAVAILABLE: {
    status: 503,
    description:
      'A mutation carried an idempotency key but the idempotency store (Redis) did not answer within `IDEMPOTENCY_TIMEOUT_MS`; the mutation was not executed. Retry with the same key (`Retry-After: 1`).',
  },
  PUSH_REGISTRATION_INVALID: {
    status: 400,
    description:
      'Push bridge: the body of `POST /push/registrations` (or `…/state`) is not a registration: a field is missing, unknown or of the wrong type; `extensions.issues` lists each (`path`, `message`).',
  },
  PUSH_TOKEN_INVALID: {
    status: 400,
    description:
      "Push bridge: the device token does not have its platform's shape (APNs: 64–200 hex digits; FCM: 32–4096 characters of `A-Za-z0-9_:.-`); `extensions.platform` names it. Nothing is stored.",
  },
  PUSH_PLATFORM_NOT_CONFIGURED: {
    status: 400,
    description: 'Push bridge: the gateway has no credentials for this platform (`PUSH_APNS_*` or `PUSH_FCM_SERVICE_ACCOUNT` unset); `extensions.platform` names it.',
  },
  PUSH_NOT_A_SUBSCRIPTION: { status: 400, description: 'Push bridge: the persisted document is a query or mutation; only a subscription operation can be bridged to pushes.' },
  PUSH_REGISTRATION_NOT_FOUND: {
    status: 404,
    description: 'Push bridge: no registration has this id (never registered, deleted, its token was unregistered by APNs/FCM, or its persisted subscription was revoked).',
  },
  PUSH_REGISTRATION_LIMIT: {
    status: 409,
    description:
      'Push bridge: the device token (`PUSH_MAX_REGISTRATIONS_PER_TOKEN`) or the verified caller (`PUSH_MAX_REGISTRATIONS_PER_SUBJECT`) already has the most registrations allowed; `extensions.limit` is `token` or `subject`, `extensions.max` the cap. Nothing is stored; delete a registration first (registering an existing one again is not counted).',
  },
  PUSH_STORE_UNAVAILABLE: { status: 503, description: 'Push bridge: Redis did not answer in time; nothing was changed; retry (`Retry-After: 1`).' },
  CONSOLE_TOKEN_REQUIRED: {
    status: 401,
    description:
      'Developer console (`DEV_CONSOLE`): `GET /console/data` without the console token (`?token=`, the `roam_console` cookie or `Authorization: Bearer`); the HTML pages answer the same 401 with a page saying how to open them.',
  },
  CACHE_ADMIN_UNAUTHORIZED: {
    status: 401,
    description: '`POST /admin/cache/invalidate` without `Authorization: Bearer <RESPONSE_CACHE_ADMIN_TOKEN>` (or with another token); nothing was invalidated.',
  },
  INTERNAL_SERVER_ERROR: { status: 500, description: 'An unexpected failure inside the gateway; the message is generic and the details are in the gateway log.' },
} as const satisfies Record<string, { status: number; description: string }>;

/** One of the codes in {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** @returns whether `value` is a code of the catalogue. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/**
 * Every code by name (`CODE.MAX_DEPTH_LIMIT === 'MAX_DEPTH_LIMIT'`): how code outside this package names a
 * code in data (tables, unions) without a string literal, so the catalogue stays the one place codes are written.
 */
export const CODE = Object.freeze(Object.fromEntries(Object.keys(ERROR_CODES).map((code) => [code, code]))) as { readonly [K in ErrorCode]: K };
