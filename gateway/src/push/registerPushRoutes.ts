import { errorBody, isRoamError, roamError, type RoamError } from '@roam/errors';
import { RedisUnavailableError } from '@roam/redis';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { PushBridge } from './PushBridge';
import { parseRegistrationRequest, parseStateRequest, REGISTRATION_ID, type PushPlatform, type PushRegistration } from './PushRegistration';
import type { RegistrationStore } from './RegistrationStore';

/** What {@link registerPushRoutes} needs. */
export interface PushRoutesOptions {
  readonly bridge: PushBridge;
  readonly store: RegistrationStore;
  /** Platforms with credentials; a registration for another gets `PUSH_PLATFORM_NOT_CONFIGURED`. */
  readonly platforms: ReadonlySet<PushPlatform>;
  readonly logger: Logger;
}

/** A registration as the API shows it (the device token is not echoed). */
export type RegistrationView = Omit<PushRegistration, 'token' | 'subscriptionKey'>;

const view = ({ token: _token, subscriptionKey: _key, ...rest }: PushRegistration): RegistrationView => rest;

/**
 * The push bridge's HTTP API (README "Push bridge"), JSON in and out, errors in the GraphQL error shape with
 * catalogue codes:
 *
 * - `POST /push/registrations` `{platform, token, documentId, operationName?, variables?, clientName?, state?}` →
 *   201 (new) or 200 (the same device and subscription again) with the registration; the document must be a
 *   persisted subscription the gateway's pipeline accepts for that client name;
 * - `GET /push/registrations/:id` → 200 with it (`lastEventId`: resume the subscription from there), or 404;
 * - `POST /push/registrations/:id/state` `{"state":"background"|"foreground"}` → 200, or 404;
 * - `DELETE /push/registrations/:id` → 204, or 404.
 *
 * Redis failures answer 503 `PUSH_STORE_UNAVAILABLE` with `Retry-After: 1`; nothing throws to Fastify.
 */
export function registerPushRoutes(app: FastifyInstance, options: PushRoutesOptions): void {
  const { bridge, store, logger } = options;
  const fail = (reply: FastifyReply, error: RoamError | GraphQLError, status?: number): FastifyReply => {
    const { code, ...extensions } = error.extensions as Record<string, unknown>;
    const roam = isRoamError(error) ? error : undefined;
    const body = isRoamError(error) ? errorBody(error.code, error.message, extensions) : { errors: [{ message: error.message, extensions: { ...extensions, code } }] };
    void reply.headers({ 'cache-control': 'no-store', ...(roam?.headers ?? {}) });
    return reply.code(status ?? (roam && roam.status >= 400 ? roam.status : 400)).send(body);
  };
  const guarded =
    <A extends unknown[]>(handler: (reply: FastifyReply, ...args: A) => Promise<FastifyReply>) =>
    async (reply: FastifyReply, ...args: A): Promise<FastifyReply> => {
      try {
        return await handler(reply, ...args);
      } catch (error) {
        if (error instanceof RedisUnavailableError) {
          logger.warn({ err: error.message }, 'push registration store unavailable');
          return fail(reply, roamError('PUSH_STORE_UNAVAILABLE', 'The push registration store is unavailable; retry shortly.', {}, { headers: { 'retry-after': '1' } }));
        }
        logger.error({ err: error }, 'push route failed');
        return fail(reply, roamError('INTERNAL_SERVER_ERROR', 'Internal server error.'));
      }
    };
  const notFound = (id: string): RoamError => roamError('PUSH_REGISTRATION_NOT_FOUND', `No push registration '${id.slice(0, 64)}'.`);

  const register = guarded(async (reply, body: unknown) => {
    const request = parseRegistrationRequest(body);
    if (isRoamError(request)) return fail(reply, request);
    if (!options.platforms.has(request.platform)) {
      return fail(reply, roamError('PUSH_PLATFORM_NOT_CONFIGURED', `This gateway has no ${request.platform === 'apns' ? 'APNs' : 'FCM'} credentials.`, { platform: request.platform }));
    }
    const outcome = await bridge.register(request);
    if ('refused' in outcome) {
      const first = outcome.refused[0]!;
      // an unknown APQ id is a 200 inside GraphQL over HTTP; here it is simply not found
      return fail(reply, first, isRoamError(first) && first.code === 'PERSISTED_QUERY_NOT_FOUND' ? 404 : undefined);
    }
    return reply
      .code(outcome.created ? 201 : 200)
      .header('cache-control', 'no-store')
      .send(view(outcome.registration));
  });
  const read = guarded(async (reply, id: string) => {
    const found = REGISTRATION_ID.test(id) ? await store.get(id) : undefined;
    return found ? reply.header('cache-control', 'no-store').send(view(found)) : fail(reply, notFound(id));
  });
  const setState = guarded(async (reply, id: string, body: unknown) => {
    const state = parseStateRequest(body);
    if (isRoamError(state)) return fail(reply, state);
    const updated = REGISTRATION_ID.test(id) ? await bridge.setState(id, state) : undefined;
    return updated ? reply.header('cache-control', 'no-store').send(view(updated)) : fail(reply, notFound(id));
  });
  const remove = guarded(async (reply, id: string) => {
    const removed = REGISTRATION_ID.test(id) ? await store.delete(id) : undefined;
    if (!removed) return fail(reply, notFound(id));
    await bridge.forgetIfEmpty(removed.subscriptionKey);
    return reply.code(204).send();
  });

  app.post('/push/registrations', (request, reply) => register(reply, request.body));
  app.get<{ Params: { id: string } }>('/push/registrations/:id', (request, reply) => read(reply, request.params.id));
  app.post<{ Params: { id: string } }>('/push/registrations/:id/state', (request, reply) => setState(reply, request.params.id, request.body));
  app.delete<{ Params: { id: string } }>('/push/registrations/:id', (request, reply) => remove(reply, request.params.id));
}
