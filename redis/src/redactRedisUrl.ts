/**
 * Hides the credentials of a Redis URL so it can appear in an error message or a log line.
 *
 * @param url - any string, usually a `REDIS_URL`.
 * @returns `url` with `user:password@` replaced by `***@` (unchanged when it has none).
 */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
