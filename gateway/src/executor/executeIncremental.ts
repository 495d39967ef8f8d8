import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import { isRoamError, roamError } from '@roam/errors';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import type { CacheHint } from '../upstream';
import { clientLabel, labeledOperation, labelDefers, locateDeferred, selectionWithoutDeferred, withoutDeferred } from './deferDocument';
import { deferredDependencies, executePlan, type DeferHandler, type SubgraphCall } from './executePlan';
import type { ExecutableOperation, Execution } from './RoamExecutor';
import { shapeResponse, shapeSelection } from './shapeResponse';

type Obj = Record<string, unknown>;

/** One deferred fragment delivered at one place of the response (an `incremental` entry, deferSpec=20220824). */
export interface DeferredPayload {
  /** Path of the object the fragment's fields belong to (list indexes filled in). */
  readonly path: readonly (string | number)[];
  /** The client's label of the `@defer`, when it gave one. */
  readonly label?: string;
  /** The fragment's fields at `path`, shaped; null when a non-null field in it was null; absent when only errors. */
  readonly data?: Obj | null;
  /** Errors of this part only (a failing subgraph of a deferred block stays in its part). */
  readonly errors: readonly GraphQLError[];
}

/** One subsequent payload: the deferred payloads ready at the same time, and whether more will follow. */
export interface SubsequentResult {
  readonly incremental: readonly DeferredPayload[];
  readonly hasNext: boolean;
}

/** An operation executed incrementally: the initial payload now, the deferred ones as their blocks finish. */
export interface IncrementalExecution {
  /** The initial payload: every field outside deferred fragments, and the errors of the primary blocks. */
  readonly initial: Execution;
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

  const ready: DeferredPayload[] = [];
  let pending = 0;
  let wake: (() => void) | undefined;
  /** Resolved when a part's entries were queued: nested parts wait for their parent's. */
  const queued = new Map<GraphQLError[], Promise<void>>();

  const deliver = (label: string | undefined, errors: GraphQLError[]): void => {
    const payloads: { path: readonly (string | number)[]; label?: string; data?: Obj | null; errors: GraphQLError[] }[] = [];
    const sent = clientLabel(label);
    const instances = label === undefined ? [] : locateDeferred(snapshot.apiSchema, document, operation, variables, merged, label);
    for (const instance of instances) {
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
          instance.path,
          own,
          maxResponseFields,
        );
      } catch (error) {
        if (!isRoamError(error)) throw error;
        own.push(error);
        data = null;
      }
      payloads.push({ path: instance.path, ...(sent !== undefined ? { label: sent } : {}), data, errors: own });
    }
    // Each error goes to the entry it points into; the others to the first entry.
    for (const error of errors) {
      const at = error.path;
      const owner = (at && payloads.find((p) => p.path.every((k, i) => at[i] === k))) ?? payloads[0];
      if (owner) owner.errors.push(error);
      else payloads.push({ path: [], ...(sent !== undefined ? { label: sent } : {}), errors: [error] });
    }
    ready.push(...payloads);
  };

  const defer: DeferHandler = async (node, context, runChild) => {
    if (node.primary.node) await runChild(node.primary.node, context.errors);
    const parentQueued = queued.get(context.errors);
    const deps = deferredDependencies(node);
    const tasks: Promise<void>[] = [];
    node.deferred.forEach((block, i) => {
      const errors: GraphQLError[] = [];
      let markQueued!: () => void;
      queued.set(errors, new Promise<void>((resolve) => (markQueued = resolve)));
      pending++;
      tasks[i] = (async () => {
        try {
          for (const j of deps[i]!) if (j < i) await tasks[j];
          if (block.node) await runChild(block.node as PlanNode, errors);
        } catch (error) {
          if (isRoamError(error)) errors.push(error);
          else {
            ctx.logger.error({ err: error }, 'deferred block failed');
            errors.push(roamError('INTERNAL_SERVER_ERROR', 'Internal server error.'));
          }
        }
        if (parentQueued) await parentQueued;
        try {
          deliver(block.label, errors);
        } catch (error) {
          ctx.logger.error({ err: error }, 'deferred payload failed');
          ready.push({ path: [], errors: [roamError('INTERNAL_SERVER_ERROR', 'Internal server error.')] });
        }
        markQueued();
        pending--;
        const w = wake;
        wake = undefined;
        w?.();
      })();
    });
    // Not awaited: the deferred blocks run while the initial payload is sent.
  };

  const root = ctx.plan.node;
  if (root?.kind === 'Subscription') throw new Error('executeIncremental runs queries and mutations, not subscriptions');
  await executePlan(root, { supergraphSchema: snapshot.supergraphSchema, variables, providedVariables: op.variables, call: ctx.call, errors: primaryErrors, defer }, merged);
  const data = shapeResponse(snapshot.apiSchema, primaryDocument, labeledOperation(primaryDocument, op.operation), variables, merged, primaryErrors, maxResponseFields);
  const initial: Execution = { data, errors: primaryErrors, hints: [...ctx.hints] };
  const hasNext = pending > 0 || ready.length > 0;

  let done = !hasNext;
  const subsequent: AsyncIterableIterator<SubsequentResult> = {
    async next(): Promise<IteratorResult<SubsequentResult>> {
      while (!done) {
        if (ready.length === 0 && pending > 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const incremental = ready.splice(0);
        const more = pending > 0;
        if (!more) done = true;
        return { value: { incremental, hasNext: more }, done: false };
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<SubsequentResult>> {
      done = true;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { initial, hasNext, subsequent };
}
