import type { FastifyCorsOptions } from '@fastify/cors';
import { z } from 'zod';

/**
 * The zod shape of `CORS_ORIGINS` (README "Settings"), spread into the gateway's `config.ts` schema: unset or
 * empty = CORS off (no `Access-Control-*` headers, `OPTIONS` → 405); `*` = any origin; otherwise a
 * comma-separated list of exact origins (`https://app.example.com,http://localhost:3000`).
 */
export const CORS_ENV_SHAPE = {
  CORS_ORIGINS: z
    .string()
    .transform((text, ctx) => {
      const items = text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (items.length === 1 && items[0] === '*') return '*' as const;
      for (const item of items) {
        let origin: string | undefined;
        try {
          origin = new URL(item).origin;
        } catch {
          origin = undefined;
        }
        if (origin !== item) ctx.addIssue({ code: 'custom', message: `"${item}" is not an origin (scheme://host[:port], no path); use * for any origin` });
      }
      return items;
    })
    .optional(),
};

/** `CORS_ORIGINS` parsed: `*`, a list of origins, or undefined (off). */
export type CorsOrigins = '*' | readonly string[] | undefined;

/** Response headers a browser client may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = ['etag', 'retry-after', 'roam-recommended-client-version', 'idempotent-replayed'];

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * The `@fastify/cors` options for `CORS_ORIGINS` (Fetch standard, "CORS protocol"): only `GET` and `POST`,
 * the request's `Access-Control-Request-Headers` allowed (the client identity and `apollo-require-preflight`
 * headers are not CORS-safelisted), no credentials, `ETag`, `Retry-After`, `Roam-Recommended-Client-Version` and `Idempotent-Replayed`
 * exposed, preflights answered 204 and cached 600 s. A request from an origin not in the list gets no
 * `Access-Control-Allow-Origin` (the browser then blocks it).
 *
 * @param origins - `*` or the allowed origins.
 * @returns the plugin options.
 */
export function corsOptions(origins: '*' | readonly string[]): FastifyCorsOptions {
  return {
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    credentials: false,
    strictPreflight: false,
  };
}
