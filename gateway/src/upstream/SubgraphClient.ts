import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel';
import { util as undiciUtil, type Dispatcher } from 'undici';
import type { RoamError } from '@roam/errors';
import { CLAIMS_HEADER, SIGNATURE_HEADER, signRequest } from '@roam/subgraph-registry/signing';
import { cacheHintOf } from './cacheHintOf';
import type { InflightCoalescer } from './InflightCoalescer';
import { dispatchTarget, parseSubgraphReply, type RawSubgraphReply } from './postSubgraph';
import { CIRCUIT_OPEN_REASON, RESPONSE_TOO_LARGE_REASON, describeFetchError, fetchErrorDetail, subgraphHttpError, subgraphMalformedError } from './subgraphFailure';
import type { SubgraphGuard } from './SubgraphGuard';
import { RawJson, type FetchOptions, type SubgraphRequest, type SubgraphResponse, type UpstreamHooks } from './types';
import { fetchSharingKey } from '../executor/sharingKeys';
import { isMergeable, mergedRequestText, mergeOperations, splitMergedResponse, type MergedOperation } from './mergeOperations';

/** What one successful send produced: the raw reply (shared by coalesced callers) and the leader's decoded response. */
export interface SentReply {
  readonly raw: RawSubgraphReply;
  readonly response: SubgraphResponse;
  /** When the fetch was one part of a merged operation: `raw` is the merged reply, the part is its `index`-th. */
  readonly part?: { readonly merged: MergedOperation; readonly index: number };
}

/** A query fetch waiting for the end of the event-loop turn to be merged with others to the same subgraph. */
interface PendingFetch {
  readonly query: string;
  readonly text: string;
  readonly variables: readonly (readonly [string, string])[];
  readonly deadline: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly resolve: (sent: SentReply) => void;
  readonly reject: (error: unknown) => void;
}

/** One failed attempt: the client error, whether a retry is safe, and the detail for the log. */
class AttemptFailure extends Error {
  constructor(
    readonly error: RoamError,
    readonly retryable: boolean,
  ) {
    super(error.message);
  }
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** Whether a subgraph response carries a `data` object (GraphQL spec §7.1.2: executed, at least partly). */
function hasDataObject(response: SubgraphResponse): boolean {
  return typeof response.data === 'object' && response.data !== null;
}
const PROBE = JSON.stringify({ query: 'query RoamBreakerProbe { __typename }', variables: {} });
const HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
/** JSON string literals of subgraph operation texts (a plan's operations repeat on every request). */
const quotedQueries = new Map<string, string>();

/** `JSON.stringify(query)`, remembered for up to 2000 distinct operation texts. */
function quoted(query: string): string {
  let q = quotedQueries.get(query);
  if (q === undefined) {
    q = JSON.stringify(query);
    if (quotedQueries.size < 2000) quotedQueries.set(query, q);
  }
  return q;
}

/** A request's variables serialised one by one, as `[name, JSON text]` (undefined values left out, as JSON.stringify does; {@link RawJson} as it is). */
function serialiseVariables(variables: Readonly<Record<string, unknown>>): [string, string][] {
  const out: [string, string][] = [];
  for (const name in variables) {
    const value = variables[name];
    if (value !== undefined) out.push([name, value instanceof RawJson ? value.json : JSON.stringify(value)]);
  }
  return out;
}

/** The JSON body of one request, the same text as `JSON.stringify(request)`, from its variables already serialised. */
function requestText(request: SubgraphRequest, variables: readonly (readonly [string, string])[]): string {
  let vars = '';
  for (const [name, json] of variables) vars += `${vars === '' ? '' : ','}${JSON.stringify(name)}:${json}`;
  const name = request.operationName === undefined ? '' : `,"operationName":${JSON.stringify(request.operationName)}`;
  return `{"query":${quoted(request.query)},"variables":{${vars}}${name}}`;
}

/**
 * The one HTTP client of one subgraph: every query-plan fetch to it (queries, mutations, entity fetches of
 * subscription events) goes through {@link SubgraphClient.fetch}, which
 * - refuses at once past the subgraph's `maxConcurrentRequests`, or while its circuit breaker is open or half-open
 *   ("circuit open"; the half-open probe is the guard's own background `{ __typename }` request, never a client's),
 * - POSTs the GraphQL request over the subgraph's keep-alive undici pool, each attempt bounded by what is
 *   left of the fetch's deadline (`timeoutMs` of its {@link SubgraphGuard.policy}),
 * - retries query fetches (never mutations or subscription fetches) on connection failures, timeouts before any
 *   response byte and 502/503/504, with exponential backoff and full jitter, within the retry budget and the deadline,
 * - shares an identical in-flight query fetch when asked (`coalesce`; never for mutations),
 * - merges the query fetches that become ready in the same event-loop turn into one operation, up to the policy's
 *   `maxMergedFetches` (`mergeOperations.ts`; never mutations or keyed fetches; README "Fetch merging"),
 * - sends `Idempotency-Key` with a keyed mutation's derived key (`FetchOptions.idempotencyKey`, `<id>:<n>`), so the
 *   subgraph can deduplicate (README "Idempotency keys"),
 * - maps every failure to one error ({@link subgraphHttpError} / {@link subgraphMalformedError}) whose reason is
 *   generic (no URL, host, port or socket text); the detail goes to the rate-limited log,
 * - reads the reply's `Cache-Control` into a cache hint,
 * - runs the {@link UpstreamHooks} around the fetch (metrics plug in there) and adds their `fetchHeaders` (trace context),
 * - stops reading a reply past `maxResponseBytes` (`SUBGRAPH_MAX_RESPONSE_BYTES`: "response too large", not retried), so an
 *   amplified subgraph answer is never parsed whole (README "Security"),
 * - sends the fetch's own headers (propagated, `roam-claims`; they are part of the sharing key) and, with a signing
 *   secret, signs every attempt (`roam-signature`, HMAC over method, path, timestamp, claims and body; README "Security").
 */
export class SubgraphClient {
  /**
   * @param name - subgraph name (as in the supergraph's `@join__graph`).
   * @param url - its GraphQL endpoint.
   * @param guard - the subgraph's policy, pool, breaker, retry budget and failure log.
   * @param fetches - the shared coalescer of identical in-flight fetches.
   * @param hooks - observability hooks.
   */
  constructor(
    readonly name: string,
    readonly url: string,
    private readonly guard: SubgraphGuard,
    private readonly fetches: InflightCoalescer<SentReply>,
    private readonly hooks: UpstreamHooks,
    private readonly signingSecret?: string,
    private readonly maxResponseBytes: number = Infinity,
  ) {
    guard.setProber(() => this.probe(), url);
  }

  /**
   * The circuit breaker's background probe: one `{ __typename }` POST through the normal attempt path (same
   * pool, headers and deadline), outside the breaker's own accounting (the guard runs it through the breaker).
   *
   * @returns when the subgraph answered with a GraphQL response.
   * @throws AttemptFailure when it did not (refused, timed out, non-GraphQL reply).
   */
  async probe(): Promise<void> {
    await this.attempt(PROBE, performance.now() + this.guard.policy.timeoutMs, 0, HEADERS);
  }

  /**
   * Sends one GraphQL request to the subgraph.
   *
   * @returns the subgraph's GraphQL response (its `errors` included as sent) and cache hint.
   * @throws RoamError `SUBREQUEST_HTTP_ERROR` (refused, timed out, reset, non-2xx without a GraphQL body, circuit open,
   *   too many concurrent requests, or refused by a `beforeFetch` hook) or `SUBREQUEST_MALFORMED_RESPONSE`
   *   (2xx that is not a GraphQL response).
   */
  async fetch(request: SubgraphRequest, options: FetchOptions): Promise<SubgraphResponse> {
    const info = { serviceName: this.name, operationType: options.operationType };
    this.hooks.beforeFetch?.(info);
    const extra = this.hooks.fetchHeaders?.(info);
    const keyed = options.idempotencyKey !== undefined ? { 'idempotency-key': options.idempotencyKey } : undefined;
    const own = options.headers;
    const headers = extra || keyed || own ? { ...own, ...HEADERS, ...extra, ...keyed } : HEADERS;
    const started = performance.now();
    const deadline = started + this.guard.policy.timeoutMs;
    const variables = serialiseVariables(request.variables);
    const text = requestText(request, variables);
    const coalesce = options.coalesce && options.operationType === 'query';
    const merge = options.operationType === 'query' && keyed === undefined && this.guard.mergesAllowed();
    const start = (): Promise<SentReply> => (merge ? this.enqueue(request.query, text, variables, deadline, headers) : this.send(text, options.operationType, deadline, headers));
    const joinedBefore = this.fetches.joined;
    const retriesBefore = this.guard.retries;
    let sent: SentReply;
    try {
      sent = coalesce
        ? // the fetch's own headers are part of the key: fetches for different users never share (README "Security")
          await this.fetches.run(fetchSharingKey(this.url, text, own), start)
        : await start();
    } catch (error) {
      const coalesced = coalesce && this.fetches.joined > joinedBefore;
      this.hooks.afterFetch?.(info, { durationMs: performance.now() - started, error: error as RoamError, coalesced, retries: this.guard.retries - retriesBefore });
      throw error;
    }
    const coalesced = coalesce && this.fetches.joined > joinedBefore;
    this.hooks.afterFetch?.(info, { durationMs: performance.now() - started, coalesced, retries: this.guard.retries - retriesBefore });
    // A caller that joined a shared fetch decodes its own copy (callers may write into their data).
    return coalesced ? this.decodeCopy(sent, options.decodedReplies) : sent.response;
  }

  /**
   * A fresh decoded copy of a shared reply (of its part, when it was merged). With `decoded` (one execution's map),
   * the parts of a merged reply are decoded once for every fetch of that execution, each part handed out once.
   */
  private decodeCopy(sent: SentReply, decoded: FetchOptions['decodedReplies']): SubgraphResponse {
    if (!sent.part) return this.decode(sent.raw);
    let parts = decoded?.get(sent.raw);
    if (parts === undefined || parts[sent.part.index] === undefined) {
      parts = splitMergedResponse(sent.part.merged, this.decode(sent.raw))!;
      decoded?.set(sent.raw, parts);
    }
    const part = parts[sent.part.index]!;
    parts[sent.part.index] = undefined;
    return part;
  }

  /** Fetches waiting for the end of this turn to be merged (README "Fetch merging"). */
  private pending: PendingFetch[] | undefined;

  /**
   * Queues a query fetch to be sent at the end of the event-loop turn (`setImmediate`: after the I/O callbacks of
   * this turn, so fetches of parallel plan branches and of concurrent requests that became ready together meet).
   */
  private enqueue(query: string, text: string, variables: readonly (readonly [string, string])[], deadline: number, headers: Readonly<Record<string, string>>): Promise<SentReply> {
    if (!isMergeable(query)) return this.send(text, 'query', deadline, headers);
    return new Promise<SentReply>((resolve, reject) => {
      if (this.pending === undefined) {
        this.pending = [];
        setImmediate(() => this.flush());
      }
      this.pending.push({ query, text, variables, deadline, headers, resolve, reject });
    });
  }

  /** Sends the queued fetches: alone, or merged by equal headers in groups of at most `maxMergedFetches`. */
  private flush(): void {
    const pending = this.pending ?? [];
    this.pending = undefined;
    const groups = new Map<unknown, PendingFetch[]>();
    for (const p of pending) {
      const key = p.headers === HEADERS ? HEADERS : JSON.stringify(p.headers);
      const group = groups.get(key);
      if (group) group.push(p);
      else groups.set(key, [p]);
    }
    const max = this.guard.policy.maxMergedFetches;
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += max) {
        const chunk = group.slice(i, i + max);
        if (chunk.length === 1) this.sendAlone(chunk[0]!);
        // Whatever goes wrong while merging or splitting, no part is left waiting (a part already settled stays so).
        else
          this.sendMerged(chunk).catch((error: unknown) => {
            for (const p of chunk) p.reject(error);
          });
      }
    }
  }

  private sendAlone(p: PendingFetch): void {
    this.send(p.text, 'query', p.deadline, p.headers).then(p.resolve, p.reject);
  }

  /**
   * Sends several query fetches as one merged operation and gives each its part of the reply. A transport failure
   * fails every part; a reply without a `data` object (a request error, or a failure that nulled every root field),
   * or one past `maxResponseBytes` (the parts together may pass the bound each part alone stays within), sends the
   * parts again one by one, so each gets the answer it would have had alone.
   */
  private async sendMerged(chunk: readonly PendingFetch[]): Promise<void> {
    const merged = mergeOperations(chunk.map((p) => p.query));
    const text = mergedRequestText(
      merged,
      chunk.map((p) => p.variables),
    );
    let deadline = chunk[0]!.deadline;
    for (const p of chunk) deadline = Math.min(deadline, p.deadline);
    let sent: SentReply;
    try {
      sent = await this.send(text, 'query', deadline, chunk[0]!.headers);
    } catch (error) {
      if ((error as RoamError).extensions?.reason === RESPONSE_TOO_LARGE_REASON) for (const p of chunk) this.sendAlone(p);
      else for (const p of chunk) p.reject(error);
      return;
    }
    this.guard.mergedFetches += chunk.length;
    this.guard.mergedRequests++;
    const parts = splitMergedResponse(merged, sent.response);
    if (!parts) {
      // Sent again alone; when any of them gets data alone, the subgraph refused the merge itself (SubgraphGuard.recordMerge).
      const alone = chunk.map((p) => {
        const reply = this.send(p.text, 'query', p.deadline, p.headers);
        reply.then(p.resolve, p.reject);
        return reply;
      });
      void Promise.allSettled(alone).then((results) => {
        if (results.some((r) => r.status === 'fulfilled' && hasDataObject(r.value.response))) this.guard.recordMerge('refused');
      });
      return;
    }
    this.guard.recordMerge('answered');
    for (let i = 0; i < chunk.length; i++) chunk[i]!.resolve({ raw: sent.raw, response: parts[i]!, part: { merged, index: i } });
  }

  /** Attempts, retries and backoff of one fetch. @throws RoamError */
  private async send(text: string, operationType: FetchOptions['operationType'], deadline: number, headers: Readonly<Record<string, string>>): Promise<SentReply> {
    const { policy, budget, breaker } = this.guard;
    if (this.guard.inflight >= policy.maxConcurrentRequests) throw subgraphHttpError(this.name, 'too many concurrent requests');
    // Open or half-open: fail at once; only the guard's background probe goes through while the circuit is not closed.
    if (this.guard.refuses()) throw subgraphHttpError(this.name, CIRCUIT_OPEN_REASON);
    this.guard.inflight++;
    budget.recordRequest();
    try {
      for (let attempt = 0; ; attempt++) {
        let failure: AttemptFailure;
        try {
          return await breaker.execute(() => this.attempt(text, deadline, attempt, headers));
        } catch (error) {
          if (error instanceof AttemptFailure) failure = error;
          else if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) failure = new AttemptFailure(subgraphHttpError(this.name, CIRCUIT_OPEN_REASON), false);
          else throw error;
        }
        if (operationType !== 'query' || !failure.retryable || attempt >= policy.retry.maxRetries) throw failure.error;
        // Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a random wait up to the exponential cap.
        const delayMs = Math.random() * Math.min(policy.retry.maxDelayMs, policy.retry.baseDelayMs * 2 ** attempt);
        if (performance.now() + delayMs >= deadline || !budget.tryRetry()) throw failure.error;
        this.guard.retries++;
        if (delayMs >= 1) await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    } finally {
      this.guard.inflight--;
    }
  }

  /** One POST, bounded by what is left of the deadline. @throws AttemptFailure */
  private async attempt(text: string, deadline: number, attempt: number, headers: Readonly<Record<string, string>>): Promise<SentReply> {
    const remainingMs = Math.ceil(deadline - performance.now());
    if (remainingMs <= 0) throw this.failed('timed out', 'the deadline passed before the attempt', false, attempt);
    const target = dispatchTarget(this.url);
    // a fresh signature per attempt (its timestamp must stay recent across retries)
    const sent = this.signingSecret === undefined ? headers : { ...headers, [SIGNATURE_HEADER]: signRequest(this.signingSecret, 'POST', target.path, text, headers[CLAIMS_HEADER] ?? '') };
    let raw: RawSubgraphReply;
    try {
      raw = await dispatchPost(this.guard.agent, target, sent, text, remainingMs, this.maxResponseBytes);
    } catch (error) {
      const failure = error as DispatchFailure;
      if (failure.cause instanceof ReplyTooLarge) throw this.failed(RESPONSE_TOO_LARGE_REASON, `more than ${this.maxResponseBytes} bytes`, false, attempt);
      // Nothing received: safe to retry a query; the subgraph started answering: a retry could repeat its work.
      throw this.failed(describeFetchError(failure.cause), fetchErrorDetail(failure.cause), !failure.answered, attempt);
    }
    try {
      return { raw, response: this.decode(raw) };
    } catch (error) {
      const roam = error as RoamError;
      // Only a non-2xx status makes decode fail without a malformed body: 502/503/504 are safe to retry.
      const retryable = RETRYABLE_STATUS.has(raw.status);
      this.guard.failures.warn(
        { subgraph: this.name, url: this.url, reason: roam.extensions.reason, status: raw.status, attempt },
        `subgraph '${this.name}' fetch failed: ${String(roam.extensions.reason)}`,
      );
      throw new AttemptFailure(roam, retryable);
    }
  }

  private failed(reason: string, detail: string, retryable: boolean, attempt: number): AttemptFailure {
    this.guard.failures.warn({ subgraph: this.name, url: this.url, reason, detail, attempt }, `subgraph '${this.name}' fetch failed: ${reason}`);
    return new AttemptFailure(subgraphHttpError(this.name, reason), retryable);
  }

  /** Decodes a reply into a GraphQL response. @throws RoamError `SUBREQUEST_HTTP_ERROR` / `SUBREQUEST_MALFORMED_RESPONSE` */
  private decode(raw: RawSubgraphReply): SubgraphResponse {
    const ok = raw.status >= 200 && raw.status < 300;
    let body: unknown;
    try {
      body = parseSubgraphReply(raw).body;
    } catch {
      throw ok ? subgraphMalformedError(this.name, 'the body is not JSON') : subgraphHttpError(this.name, `HTTP ${raw.status}`);
    }
    const graphql = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as SubgraphResponse) : undefined;
    // A GraphQL-over-HTTP error reply (4xx/5xx with a JSON body) still carries the subgraph's errors.
    if (!ok && !(graphql && Array.isArray(graphql.errors))) throw subgraphHttpError(this.name, `HTTP ${raw.status}`);
    if (ok && (!graphql || (graphql.data === undefined && !Array.isArray(graphql.errors)))) throw subgraphMalformedError(this.name, 'the reply is not a GraphQL response (no "data" or "errors")');
    const header = raw.headers['cache-control'];
    const cacheHint = cacheHintOf(Array.isArray(header) ? header.join(', ') : header);
    return { data: graphql!.data, errors: graphql!.errors, ...(cacheHint ? { cacheHint } : {}) };
  }
}

/** Why {@link dispatchPost} failed: past its byte bound. */
class ReplyTooLarge extends Error {}

/** A failed {@link dispatchPost}: the cause, and whether the subgraph had started answering (status line received). */
class DispatchFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly answered: boolean,
  ) {
    super('subgraph fetch failed');
  }
}

/**
 * One POST over undici's low-level `dispatch` (no response stream, no AbortSignal, no async resource per request):
 * the body is collected as Buffers and decoded as UTF-8 once, the attempt is bounded by one timer that aborts the
 * request (a `TimeoutError`, as `AbortSignal.timeout` gives), and reading stops past `maxBytes`.
 *
 * @param agent - the subgraph's undici pool.
 * @param target - origin and path ({@link dispatchTarget}).
 * @param headers - request headers.
 * @param body - the JSON request body.
 * @param timeoutMs - what is left of the fetch's deadline, in ms.
 * @param maxBytes - largest reply body read, in bytes (`Infinity`: no bound).
 * @returns the reply's status, headers (lower-case names) and body text.
 * @throws DispatchFailure with undici's error (refused, reset, timed out) or {@link ReplyTooLarge} as its cause.
 */
function dispatchPost(
  agent: Dispatcher,
  target: { origin: string; path: string },
  headers: Readonly<Record<string, string>>,
  body: string,
  timeoutMs: number,
  maxBytes: number,
): Promise<RawSubgraphReply> {
  return new Promise<RawSubgraphReply>((resolve, reject) => {
    let abort: ((reason: Error) => void) | undefined;
    let settled = false;
    let status = 0;
    let replyHeaders: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (cause: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new DispatchFailure(cause, status !== 0));
    };
    const timer = setTimeout(() => {
      const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      if (abort) abort(reason);
      fail(reason);
    }, timeoutMs);
    timer.unref();
    agent.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers, body }, {
      onConnect(a: (reason: Error) => void) {
        abort = a;
        if (settled) a(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      },
      onHeaders(statusCode: number, rawHeaders: Buffer[]) {
        if (statusCode < 200) return true;
        status = statusCode;
        replyHeaders = undiciUtil.parseHeaders(rawHeaders) as Record<string, string | string[] | undefined>;
        return true;
      },
      onData(chunk: Buffer) {
        size += chunk.length;
        if (size > maxBytes) {
          const reason = new ReplyTooLarge();
          abort?.(reason);
          fail(reason);
          return false;
        }
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status, headers: replyHeaders, text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8') });
      },
      onError(error: Error) {
        fail(error);
      },
    } as unknown as Dispatcher.DispatchHandler);
  });
}
