import { request } from 'undici';

/** GETs a Prometheus text exposition and returns its text (throws on a non-200). */
export async function scrape(metricsUrl: string): Promise<string> {
  const res = await request(metricsUrl);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${metricsUrl} answered ${res.statusCode}: ${text.slice(0, 200)}`);
  return text;
}

/**
 * The value of one sample of a Prometheus text exposition: the line `name{labels} value` whose labels include
 * every pair of `labels` (other labels may be present). Samples that match are summed; 0 when none matches.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}
