import { createHash } from 'node:crypto';
import { PassThrough, type Readable, type Transform, type Writable } from 'node:stream';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import { isRoamError, roamError } from '@roam/errors';
import type { FastifyReply } from 'fastify';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { NO_STORE } from '../cacheControl/cacheControlHeader';
import { formatError } from '../formatError';
import { errorResult } from '../pipeline/errorResult';
import type { FormattedSubsequentResult, MultipartOutcome } from '../pipeline/OperationPipeline';
import type { OperationResult } from '../pipeline/types';
import type { EventPayload } from '../subscriptions/EventPayload';
import { formatResult } from '../subscriptions/formatResult';
import { resumeRequest } from '../subscriptions/resume';
import type { SubscriptionRouter } from '../subscriptions/SubscriptionRouter';
import type { CompressionOptions } from './encodeResponseBody';
import type { ResponseContentEncoding } from './negotiateContentEncoding';
import { upstreamScope } from '../security/upstreamScope';

/** The multipart boundary Roam uses for both protocols (Apollo Router's: `graphql`). */
export const MULTIPART_BOUNDARY = 'graphql';
/** `Content-Type` of an incremental delivery (`@defer`) response, as Apollo Router sends it. */
export const DEFER_CONTENT_TYPE = `multipart/mixed;boundary="${MULTIPART_BOUNDARY}";deferSpec=20220824`;
/** `Content-Type` of an incremental delivery response in Apollo's incremental v0.2 format (graphql-js 17.0.0-alpha.9). */
export const INCREMENTAL_V02_CONTENT_TYPE = `multipart/mixed;boundary="${MULTIPART_BOUNDARY}";incrementalSpec=v0.2`;
/** `Content-Type` of a multipart subscription response, as Apollo Router sends it. */
export const SUBSCRIPTION_CONTENT_TYPE = `multipart/mixed;boundary="${MULTIPART_BOUNDARY}";subscriptionSpec=1.0`;

/** Which multipart protocols a request's `Accept` allows. */
export interface MultipartAccept {
  /** `multipart/mixed;deferSpec=20220824`: Apollo's incremental delivery format for `@defer` (Apollo Router's, Apollo iOS/Kotlin). */
  readonly defer: boolean;
  /** `multipart/mixed;incrementalSpec=v0.2`: the newer format (`pending`/`completed` with ids; Apollo Client's `GraphQL17Alpha9Handler`). */
  readonly incrementalV02: boolean;
  /** `multipart/mixed;subscriptionSpec=1.0` (quoted or not): Apollo's multipart HTTP subscriptions. */
  readonly subscription: boolean;
}

/**
 * Reads the multipart protocols out of an `Accept` header (RFC 9110 §12.5.1 media ranges with parameters):
 * a `multipart/mixed` range with `q` above 0 and the parameter `deferSpec=20220824`, `incrementalSpec=v0.2`
 * and/or `subscriptionSpec=1.0` (Apollo Client, Apollo iOS and Apollo Kotlin send these). `boundary` and unknown
 * parameters are ignored (the server chooses the boundary).
 *
 * @param accept - the header, or undefined.
 */
export function negotiateMultipart(accept: string | undefined): MultipartAccept {
  let defer = false;
  let incrementalV02 = false;
  let subscription = false;
  if (!accept) return { defer, incrementalV02, subscription };
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    if (type?.toLowerCase() !== 'multipart/mixed') continue;
    let q = 1;
    let d = false;
    let v = false;
    let s = false;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      const name = param.slice(0, eq).trim().toLowerCase();
      const value = param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (name === 'q') q = Number(value) || 0;
      else if (name === 'deferspec' && value === '20220824') d = true;
      else if (name === 'incrementalspec' && value === 'v0.2') v = true;
      else if (name === 'subscriptionspec' && value === '1.0') s = true;
    }
    if (q <= 0) continue;
    defer ||= d;
    incrementalV02 ||= v;
    subscription ||= s;
  }
  return { defer, incrementalV02, subscription };
}

/**
 * Writes the parts of one multipart response in Apollo Router's framing (`protocols/multipart.rs`): every
 * part is `\r\n--graphql\r\ncontent-type: application/json\r\n\r\n<json>` and the body ends with
 * `\r\n--graphql--\r\n`. Each part goes out at once: with brotli or gzip the compressor is flushed after every
 * part (`BROTLI_OPERATION_FLUSH` / `Z_SYNC_FLUSH`), so a client decodes a part without waiting for the next.
 */
export class MultipartWriter {
  /** Without a sink: the body to read (tests). */
  readonly body: Readable | undefined;
  /** Where parts are written: the compressor, or the sink itself. */
  private readonly out: Writable;
  private readonly sink: Writable;
  private started = false;
  private ended = false;

  /**
   * @param encoding - the negotiated content coding of the whole body.
   * @param sink - where the bytes go (the HTTP response); without it they can be read from {@link body}.
   */
  constructor(
    readonly encoding: ResponseContentEncoding,
    compression: CompressionOptions,
    sink?: Writable,
  ) {
    const passThrough = sink ? undefined : new PassThrough();
    this.body = passThrough;
    this.sink = sink ?? passThrough!;
    if (encoding === 'br') {
      this.out = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: compression.brotliQuality, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } });
    } else if (encoding === 'gzip') {
      this.out = createGzip({ level: compression.gzipLevel });
    } else {
      this.out = this.sink;
    }
    if (this.out !== this.sink) (this.out as Transform).pipe(this.sink);
  }

  /** Whether the body was ended (last part, or the client went away). */
  get closed(): boolean {
    return this.ended || this.out.destroyed || this.sink.destroyed || this.sink.writableEnded;
  }

  /** Bytes written but not yet handed to the socket (compressor and response buffers). */
  get buffered(): number {
    const compressor = this.out === this.sink ? 0 : this.out.writableLength + (this.out as Transform).readableLength;
    return compressor + this.sink.writableLength;
  }

  /**
   * Writes one part.
   * @param json - the part's JSON text.
   * @param last - whether it is the last part (the closing delimiter follows).
   */
  part(json: string, last = false): void {
    if (this.closed) return;
    const head = this.started ? '' : `\r\n--${MULTIPART_BOUNDARY}`;
    this.started = true;
    this.write(`${head}\r\ncontent-type: application/json\r\n\r\n${json}\r\n--${MULTIPART_BOUNDARY}${last ? '--\r\n' : ''}`);
    if (last) this.finish();
  }

  /** Ends the body with the closing delimiter (after a part that was not marked last). */
  end(): void {
    if (this.closed) return;
    this.write(this.started ? '--\r\n' : `\r\n--${MULTIPART_BOUNDARY}--\r\n`);
    this.finish();
  }

  private write(text: string): void {
    this.out.write(text);
    const zlib = this.out as Transform & { flush?: (kind: number, cb?: () => void) => void };
    if (this.encoding === 'gzip') zlib.flush!(constants.Z_SYNC_FLUSH);
    else if (this.encoding === 'br') zlib.flush!(constants.BROTLI_OPERATION_FLUSH);
  }

  private finish(): void {
    this.ended = true;
    this.out.end();
  }
}

/** Settings of the multipart transport (from `GatewayConfig`). */
export interface MultipartOptions {
  /** Where multipart subscriptions start (the same router, hubs and enrichment as graphql-ws). */
  readonly router: SubscriptionRouter;
  /** Interval of `{}` heartbeat parts on a multipart subscription, in ms (Apollo Router: 5000). */
  readonly heartbeatMs: number;
  /** Most bytes waiting to be sent on one multipart subscription; an event past it ends it with `SUBSCRIPTION_OVERFLOW`. */
  readonly maxBufferedBytes: number;
  /**
   * Most open multipart subscriptions of one client (one `authorization` value, or one client name when
   * anonymous; each holds an HTTP connection, as a WebSocket does); one more gets 429 `TOO_MANY_SUBSCRIPTIONS`.
   */
  readonly maxPerClient: number;
  readonly compression: CompressionOptions;
  /** `SUBGRAPH_PROPAGATE_HEADERS` (lower-case names): what the upstream subscription's `connection_init` carries and its sharing key holds ({@link upstreamScope}; README "Security"). @default none */
  readonly propagateHeaders?: readonly string[];
  /** Told about every subscription event written or dropped (the same counters as graphql-ws deliveries); must not throw. @default none */
  readonly observer?: {
    delivered(): void;
    dropped(): void;
    /** A multipart response started (`roam_multipart_responses_total`), with the request's client name as sent. @default none */
    multipart?(kind: 'defer' | 'subscription', clientName: string | undefined): void;
  };
  readonly logger: Logger;
}

/** Open multipart subscriptions per client key, per {@link MultipartOptions} object (one per gateway). */
const openPerClient = new WeakMap<MultipartOptions, Map<string, number>>();

/** Response headers the multipart transport sets itself. */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'cache-control', 'etag', 'vary']);

/**
 * Sends a streamed outcome of {@link OperationPipeline.runMultipart} (issue 16):
 *
 * - `incremental` (`@defer`): `multipart/mixed;boundary="graphql";deferSpec=20220824`; the initial payload
 *   (`data`, `errors`, `extensions`, `hasNext: true`), then `{incremental: [{data, path, label, errors}], hasNext}`
 *   parts as deferred blocks finish; the last has `hasNext: false`. With `incrementalFormat` `v0.2`
 *   (`multipart/mixed;boundary="graphql";incrementalSpec=v0.2`): the initial payload also has `pending:
 *   [{id, path, label}]`, and every subsequent one `pending`, `incremental: [{id, data}]`, `completed: [{id}]`.
 * - `subscription`: `multipart/mixed;boundary="graphql";subscriptionSpec=1.0` (Apollo's multipart HTTP
 *   subscription protocol): a `{}` heartbeat at once and every `heartbeatMs`, each event as `{"payload": <result>}`,
 *   a transport-level error (upstream gone, overflow, reload) as `{"payload": null, "errors": [...]}` and the
 *   end; the closing delimiter when the upstream completes. A request body with `extensions.lastEventId`
 *   resumes as over graphql-ws (the missed events once, in order, then live ones; README "Resume, retention and
 *   scale-out"); a refused resume (`SUBSCRIPTION_RESUME_GAP`, `_INVALID`, `_UNSUPPORTED`) is one such error part
 *   and the end, with no events. The subscription goes through the same
 *   {@link SubscriptionRouter} as graphql-ws (shared upstreams, per-event enrichment); when the client goes away
 *   it is ended and the upstream released.
 *
 * Both are `Cache-Control: no-store`, compressed as negotiated and flushed per part.
 *
 * @param headers - extra headers to set (`Vary`).
 * @returns what the route handler returns (the reply).
 */
export function sendMultipart(
  reply: FastifyReply,
  outcome: Exclude<MultipartOutcome, { kind: 'result' }>,
  encoding: ResponseContentEncoding,
  options: MultipartOptions,
  headers: Readonly<Record<string, string>>,
  incrementalFormat: 'deferSpec' | 'v0.2' = 'deferSpec',
): FastifyReply {
  if (outcome.kind === 'subscription') {
    // a subscription ignores incrementalFormat
    const { ctx, op } = outcome.prepared;
    let plan;
    try {
      plan = ctx.snapshot.planSubscription(op.document, op.operationName, op.documentHash);
    } catch (error) {
      if (!isRoamError(error)) throw error;
      const result = errorResult([error], options.logger);
      return reply.code(result.status).header('content-type', 'application/json; charset=utf-8').header('cache-control', NO_STORE).headers(headers).send(JSON.stringify(result.body));
    }
    // Resume (issue 17): `extensions.lastEventId` of the request body, as in a graphql-ws subscribe payload. A
    // malformed id is answered like the refusals only the subgraph can make (past retention, another stream's,
    // from the future): one transport-level error part and the end, so a client handles every resume refusal
    // in one place, as graphql-ws clients do with its one `error` message.
    const resume = resumeRequest(ctx.entry);
    if (resume.error) {
      options.router.resumeRefused('invalid');
      const writer = start(reply, encoding, options.compression, SUBSCRIPTION_CONTENT_TYPE, headers, new Map());
      writer.part(JSON.stringify({ payload: null, errors: [formatError(resume.error.toJSON())] }), true);
      return reply;
    }
    const authorization = ctx.request.headers.get('authorization');
    const credential = authorization ? createHash('sha256').update(authorization).digest('hex') : undefined;
    const client = credential ? `auth:${credential}` : `name:${ctx.request.clientName ?? 'anonymous'}`;
    let open = openPerClient.get(options);
    if (!open) openPerClient.set(options, (open = new Map()));
    const held = open.get(client) ?? 0;
    if (held >= options.maxPerClient) {
      const result = errorResult(
        [roamError('TOO_MANY_SUBSCRIPTIONS', `This client already holds ${options.maxPerClient} multipart subscriptions; end one first.`, { limit: options.maxPerClient }, { status: 429 })],
        options.logger,
      );
      return reply.code(result.status).header('content-type', 'application/json; charset=utf-8').header('cache-control', NO_STORE).headers(headers).send(JSON.stringify(result.body));
    }
    open.set(client, held + 1);
    const counts = open;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const n = (counts.get(client) ?? 1) - 1;
      if (n <= 0) counts.delete(client);
      else counts.set(client, n);
    };
    const writer = start(reply, encoding, options.compression, SUBSCRIPTION_CONTENT_TYPE, headers, new Map());
    options.observer?.multipart?.('subscription', ctx.request.clientName);
    const scope = upstreamScope(ctx.request, options.propagateHeaders ?? []);
    const write = (payload: EventPayload): boolean => {
      if (writer.closed) return true;
      if (writer.buffered + reply.raw.writableLength > options.maxBufferedBytes) {
        options.observer?.dropped();
        return false;
      }
      writer.part(`{"payload":${payload.json}}`);
      options.observer?.delivered();
      return true;
    };
    const stream = options.router.subscribe({ op, plan }, scope, release, write, resume.lastEventId);
    writer.part('{}');
    const heartbeat = setInterval(() => writer.part('{}'), options.heartbeatMs);
    heartbeat.unref();
    whenGone(reply, () => {
      clearInterval(heartbeat);
      release();
      void stream.return();
    });
    void (async () => {
      try {
        for await (const result of stream) writer.part(JSON.stringify({ payload: formatResult(result) }));
        writer.end();
      } catch (error) {
        // the router ends a stream with a GraphQLError it means the client to see (a resume refused by the subgraph,
        // the upstream gone, overflow), formatted as graphql-ws's `error` message is; anything else is a bug
        const e = error instanceof GraphQLError ? error : roamError('INTERNAL_SERVER_ERROR', 'Internal server error.');
        writer.part(JSON.stringify({ payload: null, errors: [formatError(e.toJSON())] }), true);
      } finally {
        clearInterval(heartbeat);
      }
    })();
    return reply;
  }

  const v02 = incrementalFormat === 'v0.2';
  const writer = start(reply, encoding, options.compression, v02 ? INCREMENTAL_V02_CONTENT_TYPE : DEFER_CONTENT_TYPE, headers, outcome.result.headers);
  const clientName = reply.request.headers['apollographql-client-name'];
  options.observer?.multipart?.('defer', typeof clientName === 'string' ? clientName : undefined);
  const { subsequent } = outcome;
  whenGone(reply, () => void subsequent.return?.());
  writer.part(JSON.stringify({ ...outcome.result.body, ...(v02 ? { pending: outcome.pending } : {}), hasNext: true }));
  void (async () => {
    try {
      for await (const step of subsequent as AsyncIterable<FormattedSubsequentResult>) {
        writer.part(JSON.stringify(v02 ? incrementalV02Payload(step) : deferSpecPayload(step)), !step.hasNext);
        if (!step.hasNext) break;
      }
      writer.end();
    } catch (error) {
      options.logger.error({ err: error }, 'incremental delivery failed');
      writer.part(JSON.stringify({ hasNext: false, errors: [formatError(roamError('INTERNAL_SERVER_ERROR', 'Internal server error.').toJSON())] }), true);
    }
  })();
  return reply;
}

/** A subsequent payload in the deferSpec=20220824 format: `{incremental: [{data, path, label?, errors?}], hasNext}`. */
function deferSpecPayload(step: FormattedSubsequentResult): Record<string, unknown> {
  return { incremental: step.incremental.map(({ id: _id, ...entry }) => entry), hasNext: step.hasNext };
}

/**
 * A subsequent payload in Apollo's incremental v0.2 format (graphql-js 17.0.0-alpha.9): `pending` for the
 * fragments nested in the delivered ones, `incremental: [{id, data, errors?}]` for delivered data, and
 * `completed: [{id, errors?}]` for every fragment finished (with its errors instead of data when its data is null).
 */
function incrementalV02Payload(step: FormattedSubsequentResult): Record<string, unknown> {
  const incremental: Record<string, unknown>[] = [];
  const completed: Record<string, unknown>[] = [];
  for (const entry of step.incremental) {
    if (entry.id === '') continue; // errors of a fragment that applied nowhere: nothing was pending
    if (entry.data !== null && entry.data !== undefined) {
      incremental.push({ id: entry.id, data: entry.data, ...(entry.errors ? { errors: entry.errors } : {}) });
      completed.push({ id: entry.id });
    } else {
      completed.push({ id: entry.id, ...(entry.errors ? { errors: entry.errors } : {}) });
    }
  }
  return {
    ...(step.pending.length > 0 ? { pending: step.pending } : {}),
    ...(incremental.length > 0 ? { incremental } : {}),
    ...(completed.length > 0 ? { completed } : {}),
    hasNext: step.hasNext,
  };
}

/**
 * Runs `fn` once the exchange is over: the response closed (finished, or the client went away), or at once when
 * the client already went away while the operation was being prepared (its `close` then fired before anyone listened).
 */
function whenGone(reply: FastifyReply, fn: () => void): void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    fn();
  };
  reply.raw.once('close', once);
  if (reply.raw.destroyed || reply.request.raw.socket?.destroyed) once();
}

/**
 * Sends the response head and takes the response over from Fastify (`reply.hijack()`): parts are written
 * straight to the socket's response, no stream in between. Headers set on the reply before (CORS) are kept;
 * Fastify's `onResponse` hooks still run when the response finishes.
 * @returns the writer of the body.
 */
function start(
  reply: FastifyReply,
  encoding: ResponseContentEncoding,
  compression: CompressionOptions,
  contentType: string,
  headers: Readonly<Record<string, string>>,
  resultHeaders: OperationResult['headers'],
): MultipartWriter {
  for (const [name, value] of resultHeaders) if (!OWN_HEADERS.has(name)) void reply.header(name, value);
  void reply.code(200).headers(headers).header('content-type', contentType).header('cache-control', NO_STORE);
  if (encoding !== 'identity') void reply.header('content-encoding', encoding);
  reply.hijack();
  // a write racing the client's disconnect must not become an unhandled 'error'
  reply.raw.on('error', () => undefined);
  reply.raw.writeHead(200, reply.getHeaders() as Record<string, string | number | string[]>);
  return new MultipartWriter(encoding, compression, reply.raw);
}
