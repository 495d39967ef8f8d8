/** Header carrying the gateway's signature of a subgraph request: `t=<unix ms>,v1=<base64url HMAC-SHA256>`. */
export declare const SIGNATURE_HEADER: 'roam-signature';
/** Header carrying the verified caller's claims (base64url JSON `{sub, iss, scope, client_name, client_version}`), covered by the signature. */
export declare const CLAIMS_HEADER: 'roam-claims';

/**
 * Signs one subgraph request: HMAC-SHA256 with the subgraph's secret over
 * `roam-v1\n<METHOD>\n<path with query>\n<timestamp ms>\n<roam-claims value>\n<body>`.
 *
 * @param secret - the subgraph's shared secret.
 * @param method - HTTP method.
 * @param path - request path with its query string, e.g. `/graphql`.
 * @param body - the exact body bytes sent ("" for GET).
 * @param claims - the `roam-claims` header sent, "" when none.
 * @param nowMs - the timestamp, ms since the epoch. @default Date.now()
 * @returns the `roam-signature` header value.
 */
export declare function signRequest(secret: string, method: string, path: string, body: string | Buffer, claims?: string, nowMs?: number): string;

/**
 * Verifies a `roam-signature` header (constant-time comparison).
 *
 * @param maxAgeMs - largest accepted distance between the timestamp and now, in ms. @default 60000
 * @returns `valid`, or why not: `missing`, `malformed`, `stale` (outside `maxAgeMs`), `mismatch`.
 */
export declare function verifyRequest(
  secret: string,
  header: string | undefined,
  method: string,
  path: string,
  body: string | Buffer,
  claims?: string,
  maxAgeMs?: number,
  nowMs?: number,
): 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';
