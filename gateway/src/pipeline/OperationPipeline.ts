import { isRoamError, roamError } from '@roam/errors';
import { getOperationAST, getVariableValues, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import type { ExecutableOperation, Execution } from '../executor/RoamExecutor';
import type { IncrementalExecution } from '../executor/executeIncremental';
import { usesDefer } from '../executor/deferDocument';
import { operationResolutionMessage } from '../operationResolution/operationResolutionMessage';
import { documentHash, type SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import { errorResult } from './errorResult';
import { formatErrors } from './formatErrors';
import { parseRequestEntry } from './parseRequestEntry';
import type { OperationContext, OperationResult, PipelinePlugin, Refusal, RequestInfo } from './types';

/** Runs an executable operation (Roam's executor, or Apollo Gateway's as a test oracle). */
export interface OperationExecutor {
  /**
   * @param scopeKey - what besides the operation can change the answer (credentials): sharing boundary.
   * @throws Error only for a bug (500).
   */
  execute(snapshot: SupergraphSnapshot, op: ExecutableOperation, scopeKey: string, request: RequestInfo): Promise<Execution>;
  /**
   * Executes an operation with `@defer` incrementally (initial payload, then deferred payloads); an executor
   * without it answers such operations at once, deferred fields inlined.
   * @throws RoamError for a deliberate stop (`RESPONSE_TOO_LARGE`); Error only for a bug.
   */
  executeIncremental?(snapshot: SupergraphSnapshot, op: ExecutableOperation, request?: RequestInfo): Promise<IncrementalExecution>;
}

/** A deferred fragment announced at one place of the response (`id` unique in the response). */
export interface FormattedPending {
  readonly id: string;
  readonly path: readonly (string | number)[];
  readonly label?: string;
}

/** One subsequent payload, errors formatted; the transport writes it in the negotiated format. */
export interface FormattedSubsequentResult {
  readonly incremental: readonly (FormattedPending & { readonly data?: unknown; readonly errors?: GraphQLFormattedError[] })[];
  /** Fragments nested in the delivered ones, now pending. */
  readonly pending: readonly FormattedPending[];
  readonly hasNext: boolean;
}

/** What {@link OperationPipeline.runMultipart} leads to. */
export type MultipartOutcome =
  /** One result, sent as usual (a refusal, an operation without `@defer`, a client that does not accept incremental delivery). */
  | { readonly kind: 'result'; readonly result: OperationResult }
  /** The initial payload (`hasNext` true), the fragments it announces, and the subsequent payloads. */
  | { readonly kind: 'incremental'; readonly result: OperationResult; readonly pending: readonly FormattedPending[]; readonly subsequent: AsyncIterableIterator<FormattedSubsequentResult> }
  /** A subscription that passed every check, for the multipart subscription transport to start. */
  | { readonly kind: 'subscription'; readonly prepared: PreparedOperation };

/** What {@link OperationPipeline} needs. */
export interface OperationPipelineOptions {
  /** @returns the current supergraph snapshot, or undefined before the first load (then 503 `SUPERGRAPH_NOT_READY`). */
  readonly snapshot: () => SupergraphSnapshot | undefined;
  /** The concerns, in the order their hooks run within each stage. */
  readonly plugins: readonly PipelinePlugin[];
  readonly executor: OperationExecutor;
  readonly logger: Logger;
  /** The sharing boundary of a request (README "Security": no sharing across users). @default the `authorization` and `cookie` headers */
  readonly sharingScope?: (request: RequestInfo) => string;
  /**
   * Wraps the execution of every prepared query or mutation (idempotency keys: take a lease, replay, store); it
   * may answer without calling `execute`, or call it with an amended operation. @default execute directly
   */
  readonly aroundExecute?: (prepared: PreparedOperation, execute: (op: ExecutableOperation) => Promise<OperationResult>) => Promise<OperationResult>;
}

/** An operation that passed every check: ready to execute or to subscribe. */
export interface PreparedOperation {
  readonly ctx: OperationContext;
  readonly op: ExecutableOperation;
}

/** Request headers that make answers differ between callers: requests share work only when these are equal. */
const SCOPE_HEADERS = ['authorization', 'cookie'] as const;

/**
 * The one operation pipeline (issue 10 item 1): every transport (HTTP POST, GET, batch entries, graphql-ws)
 * hands it a decoded request entry, and it runs the stages in GraphQL's order, each as typed values, never as
 * a serialised body parsed again:
 *
 * 1. check the entry's shape (`BAD_REQUEST`);
 * 2. `resolveDocument` hooks (persisted id → text); no text then → 400 `BAD_REQUEST` (Apollo Server's message);
 * 3. `checkDocument` hooks (document bytes, tokens);
 * 4. parse and validate, cached per SHA-256 of the text in the supergraph snapshot (`GRAPHQL_PARSE_FAILED`,
 *    `GRAPHQL_VALIDATION_FAILED`, 400);
 * 5. select the operation (`OPERATION_RESOLUTION_FAILURE`, 400, graphql-js's message);
 * 6. `checkOperation` hooks (transport rules, operation limits);
 * 7. `didPassChecks` hooks: only now may anything be written (APQ registration);
 * 8. coerce variables (`BAD_USER_INPUT`, 400), plan and execute (or, for graphql-ws, subscribe);
 * 9. `willSendResult` hooks (cache policy, cost extension), errors formatted as Apollo Server does.
 */
export class OperationPipeline {
  /** The plugins that have each hook, in order: a stage skips the others, and awaits only hooks that returned a promise. */
  private readonly resolvers: readonly PipelinePlugin[];
  private readonly documentChecks: readonly PipelinePlugin[];
  private readonly operationChecks: readonly PipelinePlugin[];
  private readonly passHooks: readonly PipelinePlugin[];

  constructor(private readonly options: OperationPipelineOptions) {
    const { plugins } = options;
    this.resolvers = plugins.filter((p) => p.resolveDocument);
    this.documentChecks = plugins.filter((p) => p.checkDocument);
    this.operationChecks = plugins.filter((p) => p.checkOperation);
    this.passHooks = plugins.filter((p) => p.didPassChecks);
  }

  /**
   * Runs one entry to its result.
   *
   * @param raw - the decoded entry (a JSON/MessagePack object, a batch element, a `subscribe` payload).
   * @param request - the transport's facts.
   * @param beforeExecute - awaited after every check, just before execution (a batch runs its mutations in order with it).
   * @returns the result; never throws (a bug becomes 500 `INTERNAL_SERVER_ERROR`, logged).
   */
  async run(raw: unknown, request: RequestInfo, beforeExecute?: (op: ExecutableOperation) => Promise<void>): Promise<OperationResult> {
    try {
      const prepared = await this.prepare(raw, request);
      if ('refused' in prepared) {
        const result = errorResult(prepared.refused, this.options.logger);
        if (prepared.ctx) for (const plugin of this.options.plugins) plugin.willSendResult?.(prepared.ctx, result, [], false);
        return result;
      }
      if (beforeExecute) await beforeExecute(prepared.op);
      return await this.execute(prepared);
    } catch (error) {
      this.options.logger.error({ err: error }, 'request entry failed');
      return errorResult([roamError('INTERNAL_SERVER_ERROR', 'Internal server error.')], this.options.logger);
    }
  }

  /**
   * {@link run} for a request that accepts multipart responses (issue 16): a query or mutation using `@defer`
   * executes incrementally when `acceptsDefer`; a subscription that passed every check (the transport rules let
   * it through only when `request.multipartSubscription`) is handed back to start.
   *
   * @returns the outcome; never throws (a bug becomes 500 `INTERNAL_SERVER_ERROR`, logged).
   */
  async runMultipart(raw: unknown, request: RequestInfo, acceptsDefer: boolean): Promise<MultipartOutcome> {
    try {
      const prepared = await this.prepare(raw, request);
      if ('refused' in prepared) {
        const result = errorResult(prepared.refused, this.options.logger);
        if (prepared.ctx) for (const plugin of this.options.plugins) plugin.willSendResult?.(prepared.ctx, result, [], false);
        return { kind: 'result', result };
      }
      if (prepared.op.operation.operation === 'subscription') return { kind: 'subscription', prepared };
      const executor = this.options.executor;
      // an operation the authorization stage filtered (op.planned) runs whole: @defer is a hint (README "Security")
      if (!acceptsDefer || !executor.executeIncremental || !usesDefer(prepared.op.document) || prepared.op.planned) return { kind: 'result', result: await this.execute(prepared) };
      let execution: IncrementalExecution;
      try {
        execution = await executor.executeIncremental(prepared.ctx.snapshot, prepared.op, prepared.ctx.request);
      } catch (error) {
        if (!isRoamError(error)) throw error;
        const result = errorResult([error], this.options.logger);
        for (const plugin of this.options.plugins) plugin.willSendResult?.(prepared.ctx, result, [], false);
        return { kind: 'result', result };
      }
      const { initial } = execution;
      const body: OperationResult['body'] = { data: initial.data };
      if (initial.errors.length > 0) body.errors = formatErrors(initial.errors, this.options.logger);
      const result: OperationResult = { status: 200, headers: new Map(), body };
      for (const plugin of this.options.plugins) plugin.willSendResult?.(prepared.ctx, result, initial.hints, true);
      if (!execution.hasNext) return { kind: 'result', result };
      const logger = this.options.logger;
      const source = execution.subsequent;
      const subsequent: AsyncIterableIterator<FormattedSubsequentResult> = {
        async next() {
          const step = await source.next();
          if (step.done) return { value: undefined, done: true };
          const incremental = step.value.incremental.map((p) => ({
            id: p.id,
            path: p.path,
            ...(p.label !== undefined ? { label: p.label } : {}),
            ...(p.data !== undefined ? { data: p.data } : {}),
            ...(p.errors.length > 0 ? { errors: formatErrors(p.errors, logger) } : {}),
          }));
          return { value: { incremental, pending: step.value.pending, hasNext: step.value.hasNext }, done: false };
        },
        async return() {
          await source.return?.();
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      return { kind: 'incremental', result, pending: execution.pending, subsequent };
    } catch (error) {
      this.options.logger.error({ err: error }, 'request entry failed');
      return { kind: 'result', result: errorResult([roamError('INTERNAL_SERVER_ERROR', 'Internal server error.')], this.options.logger) };
    }
  }

  /**
   * Stages 1–7 and variable coercion: everything before execution. The graphql-ws adapter uses it for
   * subscriptions (which it hands to the subscription router) as well as for queries and mutations.
   *
   * @returns the prepared operation, or the errors refusing it (the first one's status and headers apply).
   * @throws Error only for a bug.
   */
  async prepare(raw: unknown, request: RequestInfo): Promise<PreparedOperation | Refusal> {
    const snapshot = this.options.snapshot();
    if (!snapshot) return refuse(roamError('SUPERGRAPH_NOT_READY', 'The gateway has not loaded a supergraph yet.', {}, { headers: { 'retry-after': '1' } }));
    const parsed = parseRequestEntry(raw);
    if ('error' in parsed) return refuse(roamError('BAD_REQUEST', parsed.error));
    const ctx: OperationContext = { request, snapshot, entry: parsed };
    for (const plugin of this.resolvers) {
      const pending = plugin.resolveDocument!(ctx);
      const refused = isPromise(pending) ? await pending : pending;
      if (refused) return refuse(refused);
    }
    const text = ctx.entry.query;
    if (text === undefined || text === '') return refuse(roamError('BAD_REQUEST', 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.'));
    for (const plugin of this.documentChecks) {
      const refused = plugin.checkDocument!(ctx);
      if (refused) return refuse(refused);
    }
    ctx.documentHash ??= documentHash(text);
    const checked = snapshot.checkDocument(text, ctx.documentHash);
    if ('errors' in checked) return { refused: checked.errors };
    const document = checked.document;
    ctx.document = document;
    const operationName = ctx.entry.operationName;
    const operation = getOperationAST(document, operationName);
    if (!operation) return refuse(roamError('OPERATION_RESOLUTION_FAILURE', operationResolutionMessage(document, operationName) ?? 'Must provide an operation.'));
    ctx.operation = operation;
    for (const plugin of this.operationChecks) {
      const pending = plugin.checkOperation!(ctx);
      const refused = isPromise(pending) ? await pending : pending;
      if (refused) return { refused: [refused], ctx };
    }
    for (const plugin of this.passHooks) {
      const pending = plugin.didPassChecks!(ctx);
      if (isPromise(pending)) await pending;
    }
    const variables = ctx.entry.variables ?? {};
    const coerced = getVariableValues(snapshot.apiSchema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
    if (coerced.errors) return { refused: coerced.errors.map((e) => roamError('BAD_USER_INPUT', e.message, {}, { nodes: e.nodes, status: 400 })) };
    const op: ExecutableOperation = {
      document,
      operation,
      operationName: operation.name?.value,
      documentHash: ctx.documentHash,
      variables,
      coercedVariables: coerced.coerced,
      ...(ctx.plannedDocument ? { planned: ctx.plannedDocument } : {}),
    };
    return { ctx, op };
  }

  /**
   * Stage 8–9 for a prepared query or mutation.
   * @returns the result (200, `data` and `errors`).
   */
  async execute(prepared: PreparedOperation): Promise<OperationResult> {
    const around = this.options.aroundExecute;
    return around ? around(prepared, (op) => this.executeOperation({ ctx: prepared.ctx, op })) : this.executeOperation(prepared);
  }

  private async executeOperation({ ctx, op }: PreparedOperation): Promise<OperationResult> {
    const scopeKey = this.options.sharingScope ? this.options.sharingScope(ctx.request) : SCOPE_HEADERS.map((h) => ctx.request.headers.get(h) ?? '').join('\u0000');
    let execution: Execution;
    try {
      execution = await this.options.executor.execute(ctx.snapshot, op, scopeKey, ctx.request);
    } catch (error) {
      // A deliberate stop of the whole operation (e.g. RESPONSE_TOO_LARGE) answers with its own code; anything else is a bug (500).
      if (!isRoamError(error)) throw error;
      const result = errorResult([error], this.options.logger);
      for (const plugin of this.options.plugins) plugin.willSendResult?.(ctx, result, [], false);
      return result;
    }
    const body: OperationResult['body'] = { data: execution.data };
    if (execution.errors.length > 0) body.errors = formatErrors(execution.errors, this.options.logger);
    const result: OperationResult = { status: 200, headers: new Map(), body };
    for (const plugin of this.options.plugins) plugin.willSendResult?.(ctx, result, execution.hints, true);
    return result;
  }
}

/** @returns whether a hook's return value is a promise (then awaited; a plain value is used without a microtask hop). */
function isPromise<T>(value: Promise<T> | T): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/** One refusal as a {@link Refusal}. */
function refuse(error: GraphQLError): Refusal {
  return { refused: [error] };
}
