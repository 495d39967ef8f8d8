import { errorBody, isRoamError, roamError, type RoamError } from '@roam/errors';
import { RedisUnavailableError } from '@roam/redis';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthOutcome, VerifiedPrincipal } from '../security/Authenticator';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { PushBridge } from './PushBridge';
import { ownerOf, parseRegistrationRequest, parseStateRequest, REGISTRATION_ID, type PushPlatform, type PushRegistration } from './PushRegistration';
import type { RegistrationStore } from './RegistrationStore';

/** What {@link registerPushRoutes} needs. */
export interface PushRoutesOptions {
  readonly bridge: PushBridge;
  readonly store: RegistrationStore;
  /** Platforms with credentials; a registration for another gets `PUSH_PLATFORM_NOT_CONFIGURED`. */
  readonly platforms: ReadonlySet<PushPlatform>;
  /**
   * Verifies the request's `Authorization` (the gateway's `Authenticator`, README "Security") when `AUTH_MODE` is
   * `optional` or `required`. @default none: the API is open and registrations have no owner (`AUTH_MODE=off`)
   */
  readonly authenticate?: (authorization: string | undefined) => Promise<AuthOutcome>;
  /** Most registrations per device token. `PUSH_MAX_REGISTRATIONS_PER_TOKEN`; @default 20 */
  readonly maxPerToken?: number;
  /** Most registrations per verified caller. `PUSH_MAX_REGISTRATIONS_PER_SUBJECT`; @default 100 */
  readonly maxPerSubject?: number;
  readonly logger: Logger;
}

/** A registration as the API shows it (the device token is not echoed). */
export type RegistrationView = Omit<PushRegistration, 'token' | 'subscriptionKey'>;

const view = ({ token: _token, subscriptionKey: _key, issuer: _issuer, ...rest }: PushRegistration): RegistrationView => rest;

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
 * With `authenticate` (README "Security"): every route verifies `Authorization: Bearer` first (a bad token, or none
 * with `AUTH_MODE=required`, is 401 `UNAUTHENTICATED`); a registration made with a verified token records its `sub`
 * (and `iss`) and exists only for that caller: anyone else reading, changing or deleting it gets 404, as for an
 * unknown id. The client name (the safelist scope) is then the token's, not the body's `clientName`.
 * A new registration past `maxPerToken` for its device token, or `maxPerSubject` for its caller, is 409
 * `PUSH_REGISTRATION_LIMIT`; registering an existing one again is not counted.
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
  const maxPerToken = options.maxPerToken ?? 20;
  const maxPerSubject = options.maxPerSubject ?? 100;
  /** The verified caller (undefined: anonymous or authentication off), or the refusal to answer. */
  const callerOf = async (request: FastifyRequest): Promise<{ principal: VerifiedPrincipal | undefined } | { error: RoamError }> => {
    if (!options.authenticate) return { principal: undefined };
    const header = request.headers.authorization;
    return options.authenticate(Array.isArray(header) ? header[0] : header);
  };
  /** A registration exists for a caller when it has no owner (made anonymously) or is the caller's own. */
  const visible = (registration: PushRegistration | undefined, principal: VerifiedPrincipal | undefined): registration is PushRegistration => {
    if (!registration) return false;
    const owner = ownerOf(registration);
    return owner === undefined || (principal !== undefined && owner === ownerOf({ subject: principal.subject, issuer: principal.issuer }));
  };
  const admit = async (registration: PushRegistration): Promise<RoamError | undefined> => {
    if ((await store.countByToken(registration.platform, registration.token)) >= maxPerToken) {
      return roamError('PUSH_REGISTRATION_LIMIT', `This device token already has ${maxPerToken} registrations; delete one first.`, { limit: 'token', max: maxPerToken });
    }
    const owner = ownerOf(registration);
    if (owner !== undefined && (await store.countByOwner(owner)) >= maxPerSubject) {
      return roamError('PUSH_REGISTRATION_LIMIT', `This user already has ${maxPerSubject} registrations; delete one first.`, { limit: 'subject', max: maxPerSubject });
    }
    return undefined;
  };

  const register = guarded(async (reply, http: FastifyRequest) => {
    const caller = await callerOf(http);
    if ('error' in caller) return fail(reply, caller.error);
    const principal = caller.principal;
    const parsed = parseRegistrationRequest(http.body);
    if (isRoamError(parsed)) return fail(reply, parsed);
    // trusted client identity: with authentication on, the safelist scope is the token's client name, never the body's
    const request = options.authenticate ? { ...parsed, clientName: principal?.clientName } : parsed;
    if (!options.platforms.has(request.platform)) {
      return fail(reply, roamError('PUSH_PLATFORM_NOT_CONFIGURED', `This gateway has no ${request.platform === 'apns' ? 'APNs' : 'FCM'} credentials.`, { platform: request.platform }));
    }
    const outcome = await bridge.register(request, Date.now(), {
      ...(principal ? { subject: principal.subject, ...(principal.issuer !== undefined ? { issuer: principal.issuer } : {}) } : {}),
      admit,
    });
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
  /** The registration `id` as `http`'s caller may see it, or the refusal to answer (401, or 404 for someone else's). */
  const ownedBy = async (http: FastifyRequest, id: string): Promise<PushRegistration | RoamError> => {
    const caller = await callerOf(http);
    if ('error' in caller) return caller.error;
    const found = REGISTRATION_ID.test(id) ? await store.get(id) : undefined;
    return visible(found, caller.principal) ? found : notFound(id);
  };
  const read = guarded(async (reply, http: FastifyRequest, id: string) => {
    const found = await ownedBy(http, id);
    return isRoamError(found) ? fail(reply, found) : reply.header('cache-control', 'no-store').send(view(found));
  });
  const setState = guarded(async (reply, http: FastifyRequest, id: string) => {
    const found = await ownedBy(http, id);
    if (isRoamError(found)) return fail(reply, found);
    const state = parseStateRequest(http.body);
    if (isRoamError(state)) return fail(reply, state);
    const updated = await bridge.setState(id, state);
    return updated ? reply.header('cache-control', 'no-store').send(view(updated)) : fail(reply, notFound(id));
  });
  const remove = guarded(async (reply, http: FastifyRequest, id: string) => {
    const found = await ownedBy(http, id);
    if (isRoamError(found)) return fail(reply, found);
    const removed = await store.delete(id);
    if (!removed) return fail(reply, notFound(id));
    await bridge.forgetIfEmpty(removed.subscriptionKey);
    return reply.code(204).send();
  });

  app.post('/push/registrations', (request, reply) => register(reply, request));
  app.get<{ Params: { id: string } }>('/push/registrations/:id', (request, reply) => read(reply, request, request.params.id));
  app.post<{ Params: { id: string } }>('/push/registrations/:id/state', (request, reply) => setState(reply, request, request.params.id));
  app.delete<{ Params: { id: string } }>('/push/registrations/:id', (request, reply) => remove(reply, request, request.params.id));
}
