/** The response content codings Roam produces. */
export type ResponseContentEncoding = 'br' | 'gzip' | 'identity';

/**
 * Chooses the response coding from `Accept-Encoding` (RFC 9110 §12.5.3): brotli when acceptable, then gzip
 * (`x-gzip` counts), else identity. Any `q` above 0 makes a coding acceptable; `*` covers codings not
 * named; `q=0` refuses. Brotli wins over gzip whatever their `q`, because it is smaller for the same time.
 *
 * @param acceptEncoding - the header; absent means identity.
 */
export function negotiateContentEncoding(acceptEncoding: string | undefined): ResponseContentEncoding {
  if (!acceptEncoding) return 'identity';
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [rawName, ...params] = part.split(';');
    let name = (rawName ?? '').trim().toLowerCase();
    if (!name) continue;
    if (name === 'x-gzip') name = 'gzip';
    let weight = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim());
      if (key?.toLowerCase() === 'q' && value !== undefined) weight = Number(value) || 0;
    }
    q.set(name, weight);
  }
  const acceptable = (coding: string): boolean => (q.get(coding) ?? q.get('*') ?? 0) > 0;
  if (acceptable('br')) return 'br';
  if (acceptable('gzip')) return 'gzip';
  return 'identity';
}
