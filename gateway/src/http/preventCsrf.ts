/** Content types a browser may send cross-origin without a CORS preflight (Fetch standard, "CORS-safelisted request-header"). */
const NON_PREFLIGHTED_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/** Headers whose presence proves a preflight happened (Apollo Server's `csrfPrevention` defaults). */
export const CSRF_PREVENTION_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'] as const;

/**
 * Apollo Server's CSRF prevention (`csrfPrevention: true`, its default since 4): a request that a browser could
 * send cross-origin without a preflight - no `Content-Type`, or a simple one - must carry a non-empty
 * `x-apollo-operation-name` or `apollo-require-preflight` header. Checked before anything else runs, so a
 * blocked request resolves, registers and executes nothing.
 *
 * @param headers - the request headers, lower-case names.
 * @returns `undefined` when the request may proceed, else the message of the 400 `BAD_REQUEST` (Apollo Server's text).
 */
export function preventCsrf(headers: ReadonlyMap<string, string>): string | undefined {
  const contentType = headers.get('content-type');
  if (contentType !== undefined) {
    const essence = contentType.split(';')[0]!.trim().toLowerCase();
    // An unparseable type is not one a browser sends without a preflight.
    if (!/^[^\s/]+\/[^\s/]+$/.test(essence)) return undefined;
    if (!NON_PREFLIGHTED_CONTENT_TYPES.includes(essence)) return undefined;
  }
  if (CSRF_PREVENTION_HEADERS.some((name) => (headers.get(name) ?? '').length > 0)) return undefined;
  return (
    'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a ' +
    `'content-type' header (with a type that is not one of ${NON_PREFLIGHTED_CONTENT_TYPES.join(', ')}) or provide a non-empty value ` +
    `for one of the following headers: ${CSRF_PREVENTION_HEADERS.join(', ')}\n`
  );
}
