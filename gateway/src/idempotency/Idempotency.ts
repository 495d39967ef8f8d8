import { createHash } from 'node:crypto';
import { roamError, type ErrorCode } from '@roam/errors';
import type { Logger } from 'pino';
import type { ExecutableOperation } from '../executor/RoamExecutor';
import { errorResult } from '../pipeline/errorResult';
import type { PreparedOperation } from '../pipeline/OperationPipeline';
import type { OperationResult, RequestInfo } from '../pipeline/types';
import type { IdempotencyStore, StoredResponse } from './IdempotencyStore';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey } from './parseIdempotencyKey';
import { requestFingerprint } from './requestFingerprint';
import { isEncodedHttpResponse, storedResult } from './sendStoredResponse';

/** Settings of {@link Idempotency}. */
export interface IdempotencyOptions {
  readonly store: IdempotencyStore;
  /** How long a stored response is replayed, in ms (`IDEMPOTENCY_TTL_SECONDS`). */
  readonly ttlMs: number;
  /** Lease of an execution in ms (`IDEMPOTENCY_LEASE_MS`): renewed every third of it while the execution runs; after a crash, the key is free again this long after the last renewal. */
  readonly leaseMs: number;
  readonly logger: Logger;
  /**
   * How long a duplicate that arrives while the first request still runs waits for its response before it gets
   * 409, in ms (`IDEMPOTENCY_WAIT_MS`); it polls the store every {@link WAIT_POLL_MS}. 0 answers 409 at once. @default 0
   */
  readonly waitMs?: number;
  /**
   * The authenticated subject of a request, which joins the client name in the key's scope: the gateway passes the
   * verified principal's issuer and `sub` (README "Security"); anonymous requests are scoped by client name alone. @default none
   */
  readonly subjectOf?: (request: RequestInfo) => string | undefined;
  /** Told each outcome (`roam_idempotency_requests_total`) with the request's client name as sent; must not throw. @default none */
  readonly onOutcome?: (outcome: IdempotencyOutcome, clientName: string | undefined) => void;
}

/**
 * What happened to a keyed request: `executed`, `replayed` (stored response sent), `waited_replayed` (a duplicate
 * waited up to `IDEMPOTENCY_WAIT_MS` for the first response, then got it), `in_progress` (409), `mismatch` (422),
 * `invalid` (400), `store_unavailable` (503).
 */
export type IdempotencyOutcome = 'executed' | 'replayed' | 'waited_replayed' | 'in_progress' | 'mismatch' | 'invalid' | 'store_unavailable';

const OUTCOME_OF_REFUSAL: Record<Exclude<keyof IdempotencyCounts, 'executed' | 'replayed'>, IdempotencyOutcome> = {
  inProgress: 'in_progress',
  mismatched: 'mismatch',
  invalid: 'invalid',
  unavailable: 'store_unavailable',
};

/** Counts by outcome, for tests and `/metrics`. */
export interface IdempotencyCounts {
  executed: number;
  replayed: number;
  inProgress: number;
  mismatched: number;
  invalid: number;
  unavailable: number;
}

/** A single HTTP operation executed under a lease, waiting for the HTTP adapter to hand over its encoded response. */
interface Pending {
  readonly id: string;
  readonly token: string;
  readonly fingerprint: string;
  readonly stopRenewing: () => void;
}

/** How often a waiting duplicate looks for the first request's response, in ms. */
export const WAIT_POLL_MS = 25;

/** Renewals of one lease at most: a response never handed over (a bug) does not hold its key forever. */
const MAX_RENEWALS = 30;

/**
 * Idempotency keys for mutations (issue 12; IETF `draft-ietf-httpapi-idempotency-key-header-06`): wraps the
 * pipeline's execution stage ({@link OperationPipelineOptions.aroundExecute}), after every check, so a refused
 * request never takes or stores anything.
 *
 * - The key: the `Idempotency-Key` header of a single HTTP operation, or `extensions.idempotencyKey` of a batch
 *   entry or a graphql-ws operation ({@link parseIdempotencyKey}); a malformed one → 400 `IDEMPOTENCY_KEY_INVALID`.
 *   GET requests and queries ignore it. Its scope is the client name and the verified subject.
 * - First request with a key: takes a lease ({@link IdempotencyStore.claim}), executes with the scoped key on the
 *   operation (the executor forwards `<id>:<n>` to the n-th mutation fetch, `id` = SHA-256 hex of scope and key), then stores the response: for a
 *   single HTTP operation the encoded HTTP response, handed over by the adapter through {@link record}; for an
 *   entry, its result.
 * - Same key and fingerprint: the stored response ({@link replayOf}, sent with `Idempotent-Replayed: true`).
 *   Different fingerprint → 422 `IDEMPOTENCY_KEY_MISMATCH`. Still executing → 409 `IDEMPOTENCY_REQUEST_IN_PROGRESS`
 *   with `Retry-After: 1`, at once by default, or after waiting up to `waitMs` for the first response.
 * - Store unreachable → 503 `IDEMPOTENCY_STORE_UNAVAILABLE`, nothing executed.
 */
export class Idempotency {
  readonly counts: IdempotencyCounts = { executed: 0, replayed: 0, inProgress: 0, mismatched: 0, invalid: 0, unavailable: 0 };
  private readonly replays = new WeakMap<OperationResult, StoredResponse>();
  private readonly pending = new WeakMap<OperationResult, Pending>();

  constructor(private readonly options: IdempotencyOptions) {}

  /** The store in use (`redis` or `memory`). */
  get store(): IdempotencyStore {
    return this.options.store;
  }

  /**
   * The pipeline's execution stage with idempotency around it.
   * @param prepared - the checked operation.
   * @param execute - runs the operation (with `idempotencyKey` set when keyed).
   * @returns the result: executed, refused (400/409/422/503), or a replay (see {@link replayOf}).
   * @throws what `execute` throws (a bug; the pipeline answers 500); the lease is released first.
   */
  async aroundExecute(prepared: PreparedOperation, execute: (op: ExecutableOperation) => Promise<OperationResult>): Promise<OperationResult> {
    const { ctx, op } = prepared;
    const request = ctx.request;
    if (request.method !== 'POST') return execute(op);
    const single = request.transport === 'http' && !request.inBatch;
    const header = request.transport === 'http' ? request.headers.get(IDEMPOTENCY_KEY_HEADER) : undefined;
    const extension = ctx.entry.extensions?.idempotencyKey;
    const isMutation = op.operation.operation === 'mutation';
    let raw: unknown;
    if (single) {
      raw = header ?? extension;
      if (header !== undefined && extension !== undefined && !sameKey(header, extension)) {
        return this.refuse(request, 'invalid', 'IDEMPOTENCY_KEY_INVALID', 'The Idempotency-Key header and extensions.idempotencyKey differ; send one of them.');
      }
    } else {
      raw = extension;
      if (raw === undefined && header !== undefined && isMutation) {
        return this.refuse(request, 'invalid', 'IDEMPOTENCY_KEY_INVALID', 'The Idempotency-Key header applies to a single operation; give each mutation of a batch its own extensions.idempotencyKey.');
      }
    }
    if (raw === undefined) return execute(op);
    const parsed = parseIdempotencyKey(raw);
    if ('error' in parsed) return this.refuse(request, 'invalid', 'IDEMPOTENCY_KEY_INVALID', parsed.error);
    if (!isMutation) return execute(op);

    const { store, leaseMs, logger } = this.options;
    const fingerprint = requestFingerprint(op.documentHash, op.operationName, op.variables);
    const id = createHash('sha256')
      .update(`${request.clientName ?? ''}\u0000${this.options.subjectOf?.(request) ?? ''}\u0000${parsed.key}`)
      .digest('hex');
    const waitUntil = performance.now() + (this.options.waitMs ?? 0);
    let claim;
    let waited = false;
    for (;;) {
      try {
        claim = await store.claim(id, fingerprint, leaseMs);
      } catch (error) {
        logger.warn({ detail: (error as Error).message }, 'idempotency store unavailable: keyed mutation refused');
        return this.refuse(request, 'unavailable', 'IDEMPOTENCY_STORE_UNAVAILABLE', 'The idempotency store cannot be reached, so the mutation was not executed; retry with the same key.', {
          'retry-after': '1',
        });
      }
      // A duplicate of a running request may wait (IDEMPOTENCY_WAIT_MS) for its response, or for its lease to lapse.
      if (claim.kind !== 'in-progress' || claim.fingerprint !== fingerprint || performance.now() + WAIT_POLL_MS > waitUntil) break;
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
    switch (claim.kind) {
      case 'stored': {
        if (claim.fingerprint !== fingerprint) return this.mismatch(request);
        this.counts.replayed++;
        this.options.onOutcome?.(waited ? 'waited_replayed' : 'replayed', request.clientName);
        const stored = claim.response;
        if (single && isEncodedHttpResponse(stored)) {
          const result: OperationResult = { status: stored.status, headers: new Map(), body: {} };
          this.replays.set(result, stored);
          return result;
        }
        // an entry's or socket's result, or an HTTP response replayed into an entry or socket: decoded, re-encoded by the caller
        const { status, headers, body } = storedResult(stored);
        headers.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
        return { status, headers, body: body as OperationResult['body'] };
      }
      case 'in-progress':
        if (claim.fingerprint !== fingerprint) return this.mismatch(request);
        return this.refuse(
          request,
          'inProgress',
          'IDEMPOTENCY_REQUEST_IN_PROGRESS',
          'A request with this idempotency key is still being executed; retry after the Retry-After seconds to get its response.',
          {
            'retry-after': '1',
          },
        );
      case 'acquired':
        break;
      default: {
        const unknown: never = claim;
        throw new Error(`unknown claim ${JSON.stringify(unknown)}`);
      }
    }
    this.counts.executed++;
    this.options.onOutcome?.('executed', request.clientName);
    const { token } = claim;
    const stopRenewing = this.renewWhileRunning(id, token);
    let result: OperationResult;
    try {
      // Subgraphs get the record id (the key scoped to the caller), so two clients' equal keys never meet there.
      result = await execute({ ...op, idempotencyKey: id });
    } catch (error) {
      stopRenewing();
      await store.release(id, token).catch(() => undefined);
      throw error;
    }
    if (single) {
      this.pending.set(result, { id, token, fingerprint, stopRenewing });
      return result;
    }
    stopRenewing();
    const headers: Record<string, string> = Object.fromEntries(result.headers);
    await this.complete(id, token, fingerprint, { status: result.status, headers, body: Buffer.from(JSON.stringify(result.body), 'utf8') });
    return result;
  }

  /**
   * @param result - a result the pipeline returned for a single HTTP operation.
   * @returns the stored HTTP response to send instead (byte for byte, with `Idempotent-Replayed: true`), when `result` is a replay.
   */
  replayOf(result: OperationResult): StoredResponse | undefined {
    return this.replays.get(result);
  }

  /**
   * @returns whether `result` is a keyed single operation's executed result waiting for {@link record}: the HTTP
   * adapter builds the stored response only then (most responses have no key).
   */
  awaitsRecord(result: OperationResult): boolean {
    return this.pending.has(result);
  }

  /**
   * Stores the encoded HTTP response of a keyed single operation that was executed (a no-op for any other result).
   * Call it before sending, so that a retry arriving after the response is never told to execute again.
   * A store failure is logged, not thrown: the client still gets its answer, and the lease lapses.
   */
  async record(result: OperationResult, response: StoredResponse): Promise<void> {
    const pending = this.pending.get(result);
    if (!pending) return;
    this.pending.delete(result);
    pending.stopRenewing();
    await this.complete(pending.id, pending.token, pending.fingerprint, response);
  }

  private async complete(id: string, token: string, fingerprint: string, response: StoredResponse): Promise<void> {
    try {
      await this.options.store.complete(id, token, fingerprint, response, this.options.ttlMs);
    } catch (error) {
      // Executed but not stored: a retry after the lease lapses executes again; subgraphs that honour the
      // forwarded key (reviews' addReview) answer it without a second effect.
      this.options.logger.warn({ detail: (error as Error).message }, 'idempotency store unavailable: executed mutation response not stored');
    }
  }

  /** Renews the lease every third of it until stopped (at most {@link MAX_RENEWALS} times). @returns the stop function. */
  private renewWhileRunning(id: string, token: string): () => void {
    const { store, leaseMs, logger } = this.options;
    let renewals = 0;
    const timer = setInterval(
      () => {
        if (++renewals > MAX_RENEWALS) return clearInterval(timer);
        store.renew(id, token, leaseMs).then(
          (held) => {
            if (!held) clearInterval(timer);
          },
          (error: Error) => logger.warn({ detail: error.message }, 'idempotency lease renewal failed'),
        );
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  private mismatch(request: RequestInfo): OperationResult {
    return this.refuse(
      request,
      'mismatched',
      'IDEMPOTENCY_KEY_MISMATCH',
      'This idempotency key was used with a different request (document, operation name or variables); use a new key for a new request.',
    );
  }

  private refuse(request: RequestInfo, count: keyof typeof OUTCOME_OF_REFUSAL, code: ErrorCode, message: string, headers: Record<string, string> = {}): OperationResult {
    this.counts[count]++;
    this.options.onOutcome?.(OUTCOME_OF_REFUSAL[count], request.clientName);
    return errorResult([roamError(code, message, {}, { headers })], this.options.logger);
  }
}

function sameKey(a: unknown, b: unknown): boolean {
  const x = parseIdempotencyKey(a);
  const y = parseIdempotencyKey(b);
  return 'key' in x && 'key' in y && x.key === y.key;
}
