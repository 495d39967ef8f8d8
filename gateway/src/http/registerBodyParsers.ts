import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RoamError } from '../errors';
import { unpackMsgpack } from './msgpack';
import { readRequestBody } from './readRequestBody';

type RawBody = IncomingMessage;

/** Request content types with a MessagePack body. */
export const MSGPACK_CONTENT_TYPES = ['application/msgpack', 'application/x-msgpack'] as const;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function declaredLength(request: FastifyRequest): number | undefined {
  const value = Number(header(request, 'content-length'));
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Replaces Fastify's JSON body parser with Roam's: bodies may be compressed (`Content-Encoding` gzip, br,
 * deflate; {@link readRequestBody} bounds the sent and the decoded size by `maxBodyBytes`), and may be JSON
 * (`application/json`, parsed with Fastify's prototype-poisoning checks) or MessagePack (`application/msgpack`,
 * `application/x-msgpack`; standard types only, see {@link unpackMsgpack}).
 *
 * Failures are {@link RoamError}s that `registerErrorHandlers` sends as GraphQL errors: 400 `BAD_REQUEST`
 * (invalid JSON/MessagePack, corrupt compressed data, empty body except on DELETE), 413 `PAYLOAD_TOO_LARGE`, 415
 * `UNSUPPORTED_MEDIA_TYPE`.
 *
 * @param app - the Fastify instance serving `/graphql`.
 * @param maxBodyBytes - limit for the sent and, separately, the decoded body, in bytes.
 */
export function registerBodyParsers(app: FastifyInstance, maxBodyBytes: number): void {
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  // Fastify parses text/plain by default; a GraphQL request is never text/plain → 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', async (request: FastifyRequest, payload: RawBody) => {
    const bytes = await readRequestBody(payload, header(request, 'content-encoding'), maxBodyBytes, declaredLength(request));
    if (bytes.length === 0) {
      // DELETE /push/registrations/<id> needs no body; clients that set the JSON content type on every call send none
      if (request.method === 'DELETE') return undefined;
      throw new RoamError(
        'BAD_REQUEST',
        request.url.startsWith('/graphql') ? 'The request body is empty; send a JSON object with "query", or an array of them.' : 'The request body is empty; send a JSON object.',
      );
    }
    const text = bytes.toString('utf8');
    return new Promise((resolve, reject) => {
      jsonParser(request, text, (error, body) => {
        if (error) reject(new RoamError('BAD_REQUEST', jsonBodyProblem(text)));
        else resolve(body);
      });
    });
  });
  app.addContentTypeParser([...MSGPACK_CONTENT_TYPES], async (request: FastifyRequest, payload: RawBody) => {
    const bytes = await readRequestBody(payload, header(request, 'content-encoding'), maxBodyBytes, declaredLength(request));
    if (bytes.length === 0) throw new RoamError('BAD_REQUEST', 'The request body is empty; send a MessagePack map with "query", or an array of them.');
    try {
      return unpackMsgpack(bytes);
    } catch (error) {
      throw new RoamError('BAD_REQUEST', (error as Error).message);
    }
  });
}

/**
 * Why Fastify's JSON parser (secure-json-parse) refused a body. Its own message ("Body is not valid JSON but
 * content-type is set to 'application/json'") says neither where the JSON breaks nor that a valid body was refused
 * for a `__proto__` or `constructor.prototype` key (prototype poisoning), so the body is parsed again here, on the
 * error path only.
 *
 * @param text - the request body.
 * @returns the message of the `BAD_REQUEST` error.
 */
function jsonBodyProblem(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return `The request body is not valid JSON: ${(error as Error).message}.`;
  }
  return 'The request body has a "__proto__" or "constructor" key holding a prototype, which is refused.';
}
