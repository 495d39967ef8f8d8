import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorBody, RoamError } from '../errors';

/**
 * Makes every failure Fastify itself detects a GraphQL-shaped error with a stable code and no stack:
 * a {@link RoamError} (thrown by Roam's body parsers: corrupt compressed body, decompression bomb, bad
 * MessagePack, unknown `Content-Encoding`) → its own status, code and extensions;
 * a body that is not JSON → 400 `BAD_REQUEST`; a body over `bodyLimit` → 413 `PAYLOAD_TOO_LARGE`;
 * an unreadable content type → 415 `UNSUPPORTED_MEDIA_TYPE`; an unknown route → 404 `NOT_FOUND`;
 * anything else → 500 `INTERNAL_SERVER_ERROR` with a generic message, the details logged.
 */
export function registerErrorHandlers(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
    if (error instanceof RoamError) {
      const { code: _code, ...extensions } = error.extensions as Record<string, unknown>;
      return reply
        .code(error.status)
        .header('cache-control', 'no-store')
        .send(errorBody(error.code, error.message, extensions));
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return reply.code(400).send(errorBody('BAD_REQUEST', `The request body is not valid JSON: ${error.message}`));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send(errorBody('PAYLOAD_TOO_LARGE', 'The request body is larger than the gateway accepts.', { limitBytes: app.initialConfig.bodyLimit }));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send(errorBody('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}; send application/json.`));
      default:
        if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
          return reply.code(error.statusCode).send(errorBody('BAD_REQUEST', error.message));
        }
        logger.error({ err: error, url: request.url }, 'request failed');
        return reply.code(500).send(errorBody('INTERNAL_SERVER_ERROR', 'Internal server error.'));
    }
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}; the GraphQL endpoint is /graphql.`)));
}

/**
 * Fastify's `frameworkErrors` option: errors its router raises before any route or error handler runs, made
 * GraphQL-shaped like every other refusal instead of Fastify's own `{"error","code":"FST_ERR_…"}` body:
 * a URL with bad percent-encoding (`FST_ERR_BAD_URL`, e.g. `/push/registrations/%zz`) → 400 `BAD_REQUEST`;
 * a path parameter over Fastify's 100-character `maxParamLength` (`FST_ERR_MAX_PARAM_LENGTH`, e.g. a 5,000-character
 * push registration id) → 404 `NOT_FOUND` (no such resource can exist); anything else → 400 `BAD_REQUEST`.
 * The message never echoes the URL.
 *
 * @param error - the router's error (only `code` is read).
 * @param _request - unused.
 * @param reply - answered here.
 */
export function handleFrameworkError(error: { code?: string }, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(404).header('cache-control', 'no-store').send(errorBody('NOT_FOUND', 'No such resource: a path segment is longer than 100 characters.'));
    return;
  }
  void reply
    .code(400)
    .header('cache-control', 'no-store')
    .send(errorBody('BAD_REQUEST', error.code === 'FST_ERR_BAD_URL' ? 'The URL is not valid: bad percent-encoding.' : 'The request could not be routed.'));
}
