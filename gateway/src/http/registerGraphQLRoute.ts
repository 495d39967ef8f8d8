import type { IncomingMessage } from 'node:http';
import { errorBody, roamError, type ErrorCode } from '@roam/errors';
import type { LimitsMode } from '@roam/operation-limits';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { combineCacheControl, NO_STORE } from '../cacheControl/cacheControlHeader';
import { errorResult } from '../pipeline/errorResult';
import type { OperationPipeline } from '../pipeline/OperationPipeline';
import { runBatch } from '../pipeline/runBatch';
import type { OperationResult, RequestInfo } from '../pipeline/types';
import type { AuthOutcome } from '../security/Authenticator';
import type { DeltaResponder } from '../responseCache/DeltaResponder';
import type { GraphQLExchange } from './GraphQLExchange';
import { IDEMPOTENT_REPLAYED_HEADER, sendStoredResponse, storedHttpResponse, type Idempotency } from '../idempotency';
import { preventCsrf } from './preventCsrf';
import { encodeResponseBody, type CompressionOptions } from './encodeResponseBody';
import { etagOf, ifNoneMatchMatches, representationTag } from './etag';
import { negotiateContentEncoding } from './negotiateContentEncoding';
import { negotiateMediaType } from './negotiateMediaType';
import { negotiateMultipart, sendMultipart, type MultipartOptions } from './multipart';
import { registerBodyParsers } from './registerBodyParsers';

/** What {@link registerGraphQLRoute} needs. */
export interface GraphQLRouteOptions {
  /** The operation pipeline every entry runs through. */
  readonly pipeline: OperationPipeline;
  /** @returns whether a supergraph is loaded; until then requests get 503 `SUPERGRAPH_NOT_READY`. */
  readonly isReady: () => boolean;
  /** Limit of a request body, sent and decompressed, in bytes (also Fastify's `bodyLimit`: the largest of all clients' limits). */
  readonly maxBodyBytes: number;
  readonly compression: CompressionOptions;
  /**
   * The batch and body limits of a client (by `apollographql-client-name`). The body limit always applies;
   * the batch limit (400 `BATCH_LIMIT_EXCEEDED`) only in `enforce` mode.
   */
  readonly limitsFor: (clientName: string | undefined) => { readonly maxBatchSize: number; readonly maxBodyBytes: number; readonly mode: LimitsMode };
  /**
   * Authentication (README "Security"): given the `Authorization` header, a principal or a refusal. When set, the
   * request's client name and version come from the principal only. @default none (identity from headers)
   */
  readonly authenticate?: (authorization: string | undefined) => Promise<AuthOutcome>;
  /** Tells a request's client IP address (`RequestInfo.clientAddress`; the anonymous per-IP rate limit, README "Security"). @default none */
  readonly clientAddress?: (request: IncomingMessage) => string | undefined;
  /** Told about every finished `/graphql` exchange (metrics, access log), after the response was written; must not throw. @default none */
  readonly onExchange?: (exchange: GraphQLExchange) => void;
  /** Multipart responses (`@defer`, Apollo's multipart subscriptions; issue 16). @default off: everything is answered at once */
  readonly multipart?: MultipartOptions;
  /** Runs each request's handler (tracing: inside the request's span); `statusOf` gives the response status once it returned. @default run directly */
  readonly aroundHandler?: <T>(request: FastifyRequest, run: () => Promise<T>, statusOf: () => number) => Promise<T>;
  /** Idempotency keys (the pipeline's `aroundExecute`): replays are sent from it, and executed keyed responses stored in it before sending. @default none */
  readonly idempotency?: Idempotency;
  /** Delta updates (`A-IM: json-patch` → 226 with an RFC 6902 patch) for single queries. @default none (always the full response) */
  readonly deltas?: DeltaResponder;
  /**
   * The JSON text and data tag of a single result's body when already known (a response-cache hit), so they
   * are not computed again; undefined when not known. @default none
   */
  readonly knownText?: (body: OperationResult['body']) => { readonly jsonText: string; readonly etag: string } | undefined;
}

/** What the handler learns about an exchange, completed by the `onSend` and `onResponse` hooks. */
interface ExchangeState {
  request?: RequestInfo;
  /** Trusted client identity for metrics (set once identified). */
  identity?: { clientName: string | undefined; clientVersion: string | undefined };
  code?: string;
  uncompressedBytes?: number;
  contentEncoding?: string;
  batchSize: number;
  responseBytes: number;
}

/** @returns `extensions.code` of the first error in a response body (a result, or a batch's results). */
function firstErrorCode(body: unknown): string | undefined {
  for (const result of Array.isArray(body) ? body : [body]) {
    const code = (result as { errors?: { extensions?: { code?: unknown } }[] } | undefined)?.errors?.[0]?.extensions?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The response varies by these request headers (RFC 9110 §12.5.5). */
const VARY = 'Accept, Accept-Encoding';
/** Entry headers the HTTP layer sets itself for the whole response. */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'cache-control', 'etag', 'vary']);

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Decodes a GET request's parameters (GraphQL over HTTP, "GET"): `variables` and `extensions` are JSON. */
function entryFromQueryString(query: Record<string, string | string[] | undefined>): unknown {
  const entry: Record<string, unknown> = {};
  for (const key of ['query', 'operationName', 'documentId'] as const) {
    const v = query[key];
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) entry[key] = first;
  }
  for (const key of ['variables', 'extensions'] as const) {
    const v = query[key];
    const first = Array.isArray(v) ? v[0] : v;
    if (first === undefined || first === '') continue;
    try {
      entry[key] = JSON.parse(first);
    } catch {
      throw new Error(`The "${key}" parameter is not valid JSON.`);
    }
  }
  return entry;
}

/** @returns the request's headers as the pipeline reads them: lower-case names, repeated values joined. */
function headerMap(request: FastifyRequest): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    const v = header(value);
    if (v !== undefined) headers.set(name, v);
  }
  return headers;
}

/**
 * Serves `/graphql` with GET and POST (GraphQL over HTTP) in the formats mobile clients want:
 *
 * - Request bodies: JSON or MessagePack, optionally gzip/br/deflate-compressed ({@link registerBodyParsers}).
 * - One request object, or an array of them (a batch, at most `maxBatchSize`): one result per entry, in order,
 *   HTTP 200; entries run concurrently, mutations in order ({@link runBatch}); one entry's failure is its own result.
 * - Responses: JSON by default; `application/graphql-response+json` (GraphQL over HTTP media type and status
 *   codes) or MessagePack by `Accept`, 406 `NOT_ACCEPTABLE` otherwise; brotli or gzip by `Accept-Encoding`
 *   above `compression.minBytes`; `Vary: Accept, Accept-Encoding`.
 * - With `multipart` set, `multipart/mixed` streams by `Accept` (issue 16): `@defer` in the deferSpec=20220824 or
 *   incremental v0.2 format, and Apollo's multipart HTTP subscriptions ({@link sendMultipart}); a single entry only.
 * - `Cache-Control` from cache hints (set per entry by the cache-control plugin; a batch gets the most
 *   restrictive); a strong `ETag` per representation unless `no-store` (mutations, errors: {@link representationTag});
 *   `If-None-Match` with a tag of the current data in any representation → 304 Not Modified without a body.
 * - Delta updates (`deltas`): a single query with `A-IM: json-patch` and an `If-None-Match` naming a kept older
 *   version → 226 IM Used with an RFC 6902 patch (`application/json-patch+json`, or MessagePack), `IM: json-patch`.
 *
 * Other methods get 405 with `Allow: GET, POST`.
 */
export function registerGraphQLRoute(app: FastifyInstance, options: GraphQLRouteOptions): void {
  registerBodyParsers(app, options.maxBodyBytes);
  const exchanges = new WeakMap<FastifyRequest, ExchangeState>();
  const stateOf = (request: FastifyRequest): ExchangeState => {
    let state = exchanges.get(request);
    if (!state) exchanges.set(request, (state = { batchSize: 0, responseBytes: 0 }));
    return state;
  };

  const sendError = (reply: FastifyReply, code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) => {
    if (options.onExchange) stateOf(reply.request).code = code;
    const result = errorResult([roamError(code, message, extensions)]);
    return reply.code(result.status).header('content-type', 'application/json; charset=utf-8').header('cache-control', NO_STORE).header('vary', VARY).send(JSON.stringify(result.body));
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const multipart = options.multipart ? negotiateMultipart(header(request.headers.accept)) : { defer: false, incrementalV02: false, subscription: false };
    const wantsMultipart = multipart.defer || multipart.incrementalV02 || multipart.subscription;
    // A client that accepts only multipart still gets JSON for an operation with nothing to stream.
    const mediaType = negotiateMediaType(header(request.headers.accept)) ?? (wantsMultipart ? 'application/json' : null);
    if (mediaType === null) {
      return sendError(reply, 'NOT_ACCEPTABLE', `Accept ${JSON.stringify(header(request.headers.accept))} allows none of application/json, application/graphql-response+json, application/msgpack.`, {
        accept: header(request.headers.accept),
      });
    }
    if (!options.isReady()) {
      void reply.header('retry-after', '1');
      return sendError(reply, 'SUPERGRAPH_NOT_READY', 'The gateway has not loaded a supergraph yet.');
    }
    const method = request.method === 'GET' || request.method === 'HEAD' ? 'GET' : 'POST';
    const headers = headerMap(request);
    let identity: Pick<RequestInfo, 'clientName' | 'clientVersion' | 'principal'> = {
      clientName: headers.get('apollographql-client-name'),
      clientVersion: headers.get('apollographql-client-version'),
    };
    if (options.authenticate) {
      const outcome = await options.authenticate(headers.get('authorization'));
      if ('error' in outcome) {
        if (options.onExchange) stateOf(request).code = outcome.error.code;
        const result = errorResult([outcome.error]);
        for (const [name, value] of result.headers) void reply.header(name, value);
        return reply.code(result.status).header('content-type', 'application/json; charset=utf-8').header('cache-control', NO_STORE).header('vary', VARY).send(JSON.stringify(result.body));
      }
      const p = outcome.principal;
      identity = { clientName: p?.clientName, clientVersion: p?.clientVersion, ...(p ? { principal: p } : {}) };
    }
    if (options.onExchange) stateOf(request).identity = { clientName: identity.clientName, clientVersion: identity.clientVersion };
    const limits = options.limitsFor(identity.clientName);
    const contentLength = Number(header(request.headers['content-length']));
    if (contentLength > limits.maxBodyBytes) {
      return sendError(reply, 'PAYLOAD_TOO_LARGE', `The request body is ${contentLength} bytes, over the limit of ${limits.maxBodyBytes}.`, { measured: contentLength, limit: limits.maxBodyBytes });
    }
    let raw: unknown;
    if (method === 'GET') {
      try {
        raw = entryFromQueryString(request.query as Record<string, string | string[] | undefined>);
      } catch (error) {
        return sendError(reply, 'BAD_REQUEST', (error as Error).message);
      }
    } else {
      raw = request.body;
    }
    const csrf = preventCsrf(headers);
    if (csrf) return sendError(reply, 'BAD_REQUEST', csrf);
    const clientAddress = options.clientAddress?.(request.raw);
    const base = { transport: 'http', method, headers, ...identity, ...(clientAddress !== undefined ? { clientAddress } : {}) } as const;

    let status: number;
    let jsonText: string;
    let cacheControl: string;
    let body: unknown;
    let keyed: OperationResult | undefined;
    let patched = false;
    let known: { readonly jsonText: string; readonly etag: string } | undefined;
    if (Array.isArray(raw)) {
      if (raw.length === 0) return sendError(reply, 'BAD_REQUEST', 'A batch must contain at least one operation.');
      if (limits.mode === 'enforce' && raw.length > limits.maxBatchSize) {
        return sendError(reply, 'BATCH_LIMIT_EXCEEDED', `The batch has ${raw.length} operations, over the limit of ${limits.maxBatchSize}.`, { measured: raw.length, limit: limits.maxBatchSize });
      }
      const info: RequestInfo = { ...base, inBatch: true };
      if (options.onExchange) Object.assign(stateOf(request), { request: info, batchSize: raw.length });
      const results = await runBatch(options.pipeline, raw, info);
      status = 200;
      body = results.map((r) => r.body);
      jsonText = JSON.stringify(body);
      cacheControl = combineCacheControl(results.map((r) => r.headers.get('cache-control')));
      const replayed = results.flatMap((r, i) => (r.headers.has(IDEMPOTENT_REPLAYED_HEADER) ? [i] : []));
      if (replayed.length > 0) void reply.header(IDEMPOTENT_REPLAYED_HEADER, replayed.join(', '));
    } else {
      const info: RequestInfo = { ...base, inBatch: false, ...(multipart.subscription ? { multipartSubscription: true } : {}) };
      if (options.onExchange) stateOf(request).request = info;
      const outcome = wantsMultipart && options.multipart ? await options.pipeline.runMultipart(raw, info, multipart.defer || multipart.incrementalV02) : undefined;
      if (outcome && outcome.kind !== 'result') {
        // deferSpec=20220824 (Apollo Router's, Apollo iOS/Kotlin) wins when both formats are accepted
        const format = multipart.defer ? 'deferSpec' : 'v0.2';
        return sendMultipart(reply, outcome, negotiateContentEncoding(header(request.headers['accept-encoding'])), options.multipart!, { vary: VARY }, format);
      }
      const result: OperationResult = outcome ? outcome.result : await options.pipeline.run(raw, info);
      const replay = options.idempotency?.replayOf(result);
      if (replay) {
        if (options.onExchange) Object.assign(stateOf(request), { code: undefined, uncompressedBytes: replay.body.length, contentEncoding: replay.headers['content-encoding'] ?? 'identity' });
        return sendStoredResponse(reply, replay, header(request.headers['accept-encoding']));
      }
      keyed = result;
      for (const [name, value] of result.headers) if (!OWN_HEADERS.has(name)) void reply.header(name, value);
      status = result.status;
      body = result.body;
      known = options.knownText?.(result.body);
      jsonText = known?.jsonText ?? JSON.stringify(body);
      cacheControl = result.headers.get('cache-control') ?? NO_STORE;
    }

    void reply.header('vary', VARY).header('cache-control', cacheControl);
    const contentCoding = negotiateContentEncoding(header(request.headers['accept-encoding']));
    // the UTF-8 bytes of a JSON response, encoded once: hashed for the ETag and sent (or compressed) as they are
    let jsonBytes = mediaType === 'application/msgpack' ? undefined : Buffer.from(jsonText, 'utf8');
    if (status === 200 && cacheControl !== NO_STORE) {
      // the data's tag, and the strong tag of the representation negotiated (RFC 9110 §8.8.1, §8.8.3.3)
      const etag = known?.etag ?? etagOf(jsonBytes ?? jsonText);
      void reply.header('etag', representationTag(etag, mediaType === 'application/msgpack', contentCoding));
      if (ifNoneMatchMatches(header(request.headers['if-none-match']), etag)) {
        options.deltas?.notModified(headers);
        return reply.code(304).send();
      }
      const delta = options.deltas && !Array.isArray(raw) ? await options.deltas.respond(raw, headers, etag, jsonText) : undefined;
      if (delta) {
        // RFC 3229 §10.4.1: 226 IM Used, the instance-manipulation applied, a patch against the client's version
        [status, body, jsonText, patched] = [226, delta.patch, delta.text, true];
        jsonBytes = undefined;
        void reply.header('im', 'json-patch').header('delta-base', delta.base).header('vary', `${VARY}, A-IM, If-None-Match`);
      }
    }
    const encoded = await encodeResponseBody(jsonText, body, mediaType, contentCoding, options.compression, jsonBytes);
    if (options.onExchange) Object.assign(stateOf(request), { code: firstErrorCode(body), uncompressedBytes: encoded.uncompressedBytes, contentEncoding: encoded.contentEncoding ?? 'identity' });
    void reply.code(status).header('content-type', patched && mediaType !== 'application/msgpack' ? 'application/json-patch+json' : encoded.contentType);
    if (encoded.contentEncoding) void reply.header('content-encoding', encoded.contentEncoding);
    if (keyed && options.idempotency?.awaitsRecord(keyed)) await options.idempotency.record(keyed, storedHttpResponse(status, reply.getHeaders() as Record<string, string | undefined>, encoded.body));
    return reply.send(encoded.body);
  };
  const onExchange = options.onExchange;
  const around = options.aroundHandler;
  app.route({
    method: ['GET', 'POST'],
    url: '/graphql',
    handler: around
      ? (request: FastifyRequest, reply: FastifyReply) =>
          around(
            request,
            () => handler(request, reply),
            () => reply.statusCode,
          )
      : handler,
    // callback-style hooks (not async): no promise per hook per request
    ...(onExchange && {
      onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
        const state = stateOf(request);
        state.responseBytes = typeof payload === 'string' || Buffer.isBuffer(payload) ? Buffer.byteLength(payload) : 0;
        // errors answered outside the handler (body parsers, error handlers): read the code from the JSON body
        if (state.code === undefined && reply.statusCode >= 400 && typeof payload === 'string') {
          try {
            state.code = firstErrorCode(JSON.parse(payload));
          } catch {
            // not JSON: no code
          }
        }
        done(null, payload);
      },
      onResponse: (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        const state = stateOf(request);
        const contentType = reply.getHeader('content-type');
        const declared = Number(header(request.headers['content-length']));
        onExchange({
          request: state.request,
          clientName: state.identity ? state.identity.clientName : options.authenticate ? undefined : header(request.headers['apollographql-client-name']),
          clientVersion: state.identity ? state.identity.clientVersion : options.authenticate ? undefined : header(request.headers['apollographql-client-version']),
          method: request.method === 'GET' || request.method === 'HEAD' ? 'GET' : 'POST',
          status: reply.statusCode,
          code: state.code,
          requestBytes: Number.isFinite(declared) ? declared : 0,
          responseBytes: state.responseBytes,
          uncompressedBytes: state.uncompressedBytes ?? state.responseBytes,
          contentEncoding: state.contentEncoding ?? 'identity',
          mediaType: typeof contentType === 'string' ? contentType.split(';')[0]!.trim() : '',
          batchSize: state.batchSize,
          durationMs: reply.elapsedTime,
        });
        done();
      },
    }),
  });
  app.route({
    method: ['PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/graphql',
    handler: async (_request, reply) => reply.code(405).header('allow', 'GET, POST').send(errorBody('METHOD_NOT_ALLOWED', 'The GraphQL endpoint accepts GET and POST.')),
  });
}
