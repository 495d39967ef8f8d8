import { createHash, timingSafeEqual } from 'node:crypto';
import { errorBody } from '@roam/errors';
import type { FastifyInstance } from 'fastify';
import { INVALIDATION_SCHEMA, type ResponseCache } from './ResponseCache';

/** Path of the invalidation endpoint. */
export const CACHE_ADMIN_PATH = '/admin/cache/invalidate';

/** @returns whether an `Authorization` header carries `Bearer <token>` (compared in constant time). */
function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * Registers `POST /admin/cache/invalidate` (JSON body `{ "entities": ["Product:1"], "types": ["User"],
 * "operations": ["TopProducts"] }`, any of them): drops the matching cached responses on every replica
 * (the store is shared) and answers `200 { "invalidated": <count> }`. Without
 * `Authorization: Bearer <token>` it answers 401 `CACHE_ADMIN_UNAUTHORIZED` (with `WWW-Authenticate: Bearer`,
 * RFC 6750 §3); a body that is not such an object gets 400 `BAD_REQUEST`.
 *
 * @param app - the gateway's Fastify app.
 * @param cache - the response cache.
 * @param token - the bearer token (`RESPONSE_CACHE_ADMIN_TOKEN`).
 */
export function registerCacheAdminRoute(app: FastifyInstance, cache: ResponseCache, token: string): void {
  app.post(CACHE_ADMIN_PATH, async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const authorization = request.headers.authorization;
    if (!bearerMatches(typeof authorization === 'string' ? authorization : undefined, token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody('CACHE_ADMIN_UNAUTHORIZED', 'The cache invalidation endpoint needs Authorization: Bearer <RESPONSE_CACHE_ADMIN_TOKEN>.'));
    }
    const parsed = INVALIDATION_SCHEMA.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.code(400).send(errorBody('BAD_REQUEST', `Invalid invalidation request: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'expected an object'}.`));
    }
    return { invalidated: await cache.invalidate(parsed.data, 'admin') };
  });
}
