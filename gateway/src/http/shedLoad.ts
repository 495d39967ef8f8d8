import { errorBody } from '@roam/errors';
import type { FastifyInstance } from 'fastify';
import { NO_STORE } from '../cacheControl/cacheControlHeader';

/** Settings of {@link shedLoad}. */
export interface ShedLoadOptions {
  /** Most requests on `/graphql` in flight at once (`MAX_INFLIGHT_REQUESTS`). */
  readonly maxInflightRequests: number;
  /** Seconds sent in `Retry-After`. @default 1 */
  readonly retryAfterSeconds?: number;
}

/**
 * Load shedding: an `onRequest` hook (the earliest Fastify hook, before the body is read) that counts requests
 * on `/graphql` in flight, and answers the one past `maxInflightRequests` with 503 `GATEWAY_OVERLOADED` and
 * `Retry-After` without parsing, planning or touching a subgraph. A request counts until its response is
 * finished or its connection closes. `/health` and `/ready` are never shed.
 *
 * @param app - the Fastify app, before its routes are ready.
 * @param options - the bound.
 * @returns the number of requests in flight now (for tests and metrics).
 */
export function shedLoad(app: FastifyInstance, options: ShedLoadOptions): () => number {
  let inflight = 0;
  const body = JSON.stringify(errorBody('GATEWAY_OVERLOADED', 'The gateway is overloaded; retry later.'));
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith('/graphql')) return done();
    if (inflight >= options.maxInflightRequests) {
      void reply
        .code(503)
        .header('retry-after', String(options.retryAfterSeconds ?? 1))
        .header('cache-control', NO_STORE)
        .header('content-type', 'application/json; charset=utf-8')
        .send(body);
      return;
    }
    inflight++;
    let counted = true;
    reply.raw.once('close', () => {
      if (counted) inflight--;
      counted = false;
    });
    done();
  });
  return () => inflight;
}
