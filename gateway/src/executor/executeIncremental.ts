import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import { isRoamError, roamError } from '@roam/errors';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import type { CacheHint } from '../upstream';
import { clientLabel, labeledOperation, labelDefers, locateDeferred, selectionWithoutDeferred, withoutDeferred, type DeferredInstance } from './deferDocument';
import { deferredDependencies, executePlan, type DeferHandler, type SubgraphCall } from './executePlan';
import type { ExecutableOperation, Execution } from './RoamExecutor';
import { shapeResponse, shapeSelection } from './shapeResponse';

type Obj = Record<string, unknown>;

/** A deferred fragment announced at one place of the response (a `pending` entry, incremental v0.2). */
export interface PendingFragment {
  /** Unique within the response. */
  readonly id: string;
  /** Path of the object the fragment's fields belong to (list indexes filled in). */
  readonly path: readonly (string | number)[];
  /** The client's label of the `@defer`, when it gave one. */
  readonly label?: string;
}

/**
 * One deferred fragment delivered at one place of the response: an `incremental` entry (deferSpec=20220824:
 * `{data, path, label, errors}`; incremental v0.2: `{id, data, errors}` plus `completed: [{id}]`).
 */
export interface DeferredPayload extends PendingFragment {
  /** The fragment's fields at `path`, shaped; null when a non-null field in it was null; absent when only errors. */
  readonly data?: Obj | null;
  /** Errors of this part only (a failing subgraph of a deferred block stays in its part). */
  readonly errors: readonly GraphQLError[];
}

/** One subsequent payload: the deferred payloads ready at the same time, the fragments they announce, and whether more follow. */
export interface SubsequentResult {
  readonly incremental: readonly DeferredPayload[];
  /** Fragments nested in the delivered ones, now pending. */
  readonly pending: readonly PendingFragment[];
  readonly hasNext: boolean;
}

/** An operation executed incrementally: the initial payload now, the deferred ones as their blocks finish. */
export interface IncrementalExecution {
  /** The initial payload: every field outside deferred fragments, and the errors of the primary blocks. */
  readonly initial: Execution;
  /** The deferred fragments the initial payload announces. */
  readonly pending: readonly PendingFragment[];
  /** Whether subsequent payloads follow (false when nothing ended up deferred, e.g. `@defer(if: false)`). */
  readonly hasNext: boolean;
  /** The subsequent payloads, in completion order; the last one has `hasNext: false`. Ending the iteration early drops the rest. */
  readonly subsequent: AsyncIterableIterator<SubsequentResult>;
}

/** What {@link executeIncremental} needs from the executor. */
export interface IncrementalContext {
  readonly snapshot: SupergraphSnapshot;
  readonly op: ExecutableOperation;
  readonly plan: QueryPlan;
  /** Subgraph calls through the upstream layer. */
  readonly call: SubgraphCall;
  /** Receives the cache hints of the subgraph replies. */
  readonly hints: CacheHint[];
  readonly maxResponseFields: number;
  readonly logger: Logger;
}

/**
 * Executes a query plan with `Defer` nodes incrementally (GraphQL incremental delivery, in Apollo Router's
 * `deferSpec=20220824` shape): the primary blocks first, shaped without the deferred fragments as the initial
 * payload; then every `Deferred` block in the background once the blocks it `depends` on are done, each
 * shaped on its own (nested deferred fragments left out) into one `incremental` entry per place the fragment
 * applies, with its `label` and `path`. A nested deferred block is delivered after its parent. Errors of a
 * deferred block (a subgraph down, a bubbled null) stay in that block's entries.
 *
 * When the client goes away (`subsequent.return()`), deferred blocks start no further subgraph fetch (those in
 * flight finish within their deadline and are dropped).
 *
 * Deferred blocks are matched to the document's fragments by label: the planner plans the document with every
 * `@defer` labeled ({@link labelDefers}); generated labels are not sent.
 *
 * @returns once the initial payload is ready.
 * @throws RoamError `RESPONSE_TOO_LARGE` when the initial payload passes `maxResponseFields` (each part is limited on its own).
 */
export async function executeIncremental(ctx: IncrementalContext): Promise<IncrementalExecution> {
  const { snapshot, op, maxResponseFields } = ctx;
  const variables = op.coercedVariables;
  const document = labelDefers(op.document);
  const operation = labeledOperation(document, op.operation);
  const primaryDocument = withoutDeferred(document, variables);
  const merged = Object.create(null) as Obj;
  const primaryErrors: GraphQLError[] = [];

  /** One `Deferred` block of the plan: its errors, where its fragment applies, the blocks nested in it. */
  interface Block {
    readonly label: string | undefined;
    readonly errors: GraphQLError[];
    readonly children: Block[];
    instances: (PendingFragment & { readonly instance: DeferredInstance })[];
    /** Resolved once its payloads were queued: nested blocks wait for it. */
    readonly queued: Promise<void>;
    markQueued(): void;
  }
  const topLevel: Block[] = [];
  const blockOf = new Map<GraphQLError[], Block>();
  const ready: DeferredPayload[] = [];
  const announced: PendingFragment[] = [];
  let nextId = 0;
  let pending = 0;
  /** Set when the client stopped reading (`subsequent.return()`): deferred blocks start no more subgraph fetches. */
  let cancelled = false;
  const call: SubgraphCall = (serviceName, request) =>
    cancelled
      ? Promise.reject(roamError('SUBREQUEST_HTTP_ERROR', `HTTP fetch to '${serviceName}' not sent: the client went away.`, { serviceName, reason: 'cancelled' }))
      : ctx.call(serviceName, request);
  let wake: (() => void) | undefined;

  /** Finds where a block's fragment applies (its parent's data is merged by now) and gives each place an id. */
  const announce = (block: Block): PendingFragment[] => {
    const sent = clientLabel(block.label);
    const instances = block.label === undefined ? [] : locateDeferred(snapshot.apiSchema, document, operation, variables, merged, block.label);
    block.instances = instances.map((instance) => ({ id: String(nextId++), path: instance.path, ...(sent !== undefined ? { label: sent } : {}), instance }));
    return block.instances.map(({ id, path, label }) => ({ id, path, ...(label !== undefined ? { label } : {}) }));
  };

  const deliver = (block: Block): void => {
    const payloads: { id: string; path: readonly (string | number)[]; label?: string; data?: Obj | null; errors: GraphQLError[] }[] = [];
    for (const { id, path, label, instance } of block.instances) {
      const own: GraphQLError[] = [];
      let data: Obj | null;
      try {
        data = shapeSelection(
          snapshot.apiSchema,
          primaryDocument,
          instance.type,
          [selectionWithoutDeferred(instance.selectionSet, variables)],
          variables,
          instance.source,
          path,
          own,
          maxResponseFields,
        );
      } catch (error) {
        if (!isRoamError(error)) throw error;
        own.push(error);
        data = null;
      }
      payloads.push({ id, path, ...(label !== undefined ? { label } : {}), data, errors: own });
    }
    // Each error goes to the entry it points into; the others to the first entry.
    for (const error of block.errors) {
      const at = error.path;
      const owner = (at && payloads.find((p) => p.path.every((k, i) => at[i] === k))) ?? payloads[0];
      if (owner) owner.errors.push(error);
      else payloads.push({ id: '', path: [], errors: [error] });
    }
    ready.push(...payloads);
    for (const child of block.children) announced.push(...announce(child));
  };

  const defer: DeferHandler = async (node, context, runChild) => {
    if (node.primary.node) await runChild(node.primary.node, context.errors);
    const parent = blockOf.get(context.errors);
    const deps = deferredDependencies(node);
    const tasks: Promise<void>[] = [];
    node.deferred.forEach((deferred, i) => {
      let markQueued!: () => void;
      const queued = new Promise<void>((resolve) => (markQueued = resolve));
      const block: Block = { label: deferred.label, errors: [], children: [], instances: [], queued, markQueued };
      blockOf.set(block.errors, block);
      (parent ? parent.children : topLevel).push(block);
      pending++;
      tasks[i] = (async () => {
        try {
          for (const j of deps[i]!) if (j < i) await tasks[j];
          if (deferred.node) await runChild(deferred.node as PlanNode, block.errors);
        } catch (error) {
          if (isRoamError(error)) block.errors.push(error);
          else {
            ctx.logger.error({ err: error }, 'deferred block failed');
            block.errors.push(roamError('INTERNAL_SERVER_ERROR', 'Internal server error.'));
          }
        }
        if (parent) await parent.queued;
        else await primaryQueued;
        try {
          deliver(block);
        } catch (error) {
          ctx.logger.error({ err: error }, 'deferred payload failed');
          ready.push({ id: '', path: [], errors: [roamError('INTERNAL_SERVER_ERROR', 'Internal server error.')] });
        }
        block.markQueued();
        pending--;
        const w = wake;
        wake = undefined;
        w?.();
      })();
    });
    // Not awaited: the deferred blocks run while the initial payload is sent.
  };
  let markPrimaryQueued!: () => void;
  const primaryQueued = new Promise<void>((resolve) => (markPrimaryQueued = resolve));

  const root = ctx.plan.node;
  if (root?.kind === 'Subscription') throw new Error('executeIncremental runs queries and mutations, not subscriptions');
  await executePlan(root, { supergraphSchema: snapshot.supergraphSchema, variables, providedVariables: op.variables, call, errors: primaryErrors, defer }, merged);
  const data = shapeResponse(snapshot.apiSchema, primaryDocument, labeledOperation(primaryDocument, op.operation), variables, merged, primaryErrors, maxResponseFields);
  const initial: Execution = { data, errors: primaryErrors, hints: [...ctx.hints] };
  const initialPending = topLevel.flatMap(announce);
  markPrimaryQueued();
  const hasNext = pending > 0;

  let done = !hasNext;
  const subsequent: AsyncIterableIterator<SubsequentResult> = {
    async next(): Promise<IteratorResult<SubsequentResult>> {
      while (!done) {
        if (ready.length === 0 && pending > 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const incremental = ready.splice(0);
        const nested = announced.splice(0);
        const more = pending > 0;
        if (!more) done = true;
        return { value: { incremental, pending: nested, hasNext: more }, done: false };
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<SubsequentResult>> {
      done = true;
      cancelled = true;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { initial, pending: initialPending, hasNext, subsequent };
}
