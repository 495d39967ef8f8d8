/**
 * The response media types Roam can produce. `application/json` is the default; with
 * `application/graphql-response+json` responses follow the GraphQL over HTTP spec's media type and status
 * codes; `application/msgpack` is the same GraphQL response encoded with MessagePack (no spec; Roam's).
 */
export type ResponseMediaType = 'application/json' | 'application/graphql-response+json' | 'application/msgpack';

interface AcceptRange {
  readonly type: string;
  readonly q: number;
  readonly specificity: number;
  readonly order: number;
}

const PRODUCIBLE: Readonly<Record<string, ResponseMediaType>> = {
  'application/json': 'application/json',
  'application/graphql-response+json': 'application/graphql-response+json',
  'application/msgpack': 'application/msgpack',
  'application/x-msgpack': 'application/msgpack',
};

function parseAccept(header: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  header.split(',').forEach((part, order) => {
    const [rawType, ...params] = part.split(';');
    const type = (rawType ?? '').trim().toLowerCase();
    if (!type) return;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name?.toLowerCase() === 'q' && value !== undefined) {
        const n = Number(value);
        q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
      }
    }
    const specificity = type === '*/*' ? 0 : type.endsWith('/*') ? 1 : 2;
    ranges.push({ type, q, specificity, order });
  });
  return ranges;
}

/**
 * Chooses the response media type from an `Accept` header (RFC 9110 §12.5.1): the range with the highest
 * `q`, then the most specific, then the one the client listed first. A wildcard (`*` + `/*`, `application/*`)
 * gives `application/json`. `application/x-msgpack` counts as `application/msgpack`.
 *
 * @param accept - the `Accept` header; absent or empty means `application/json` (GraphQL over HTTP, "Accept").
 * @returns the media type, or `null` when the header allows none Roam produces (→ 406 `NOT_ACCEPTABLE`).
 */
export function negotiateMediaType(accept: string | undefined): ResponseMediaType | null {
  if (accept === undefined || accept.trim() === '') return 'application/json';
  const ranges = parseAccept(accept)
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || b.specificity - a.specificity || a.order - b.order);
  const refused = new Set(
    parseAccept(accept)
      .filter((r) => r.q === 0)
      .map((r) => r.type),
  );
  for (const range of ranges) {
    const exact = PRODUCIBLE[range.type];
    if (exact) return exact;
    if ((range.type === '*/*' || range.type === 'application/*') && !refused.has('application/json')) return 'application/json';
  }
  return null;
}
