import type { PersistedQueryOutcome } from '../persistedQueries/persistedQueriesPlugin';
import type { OperationContext, PipelinePlugin, RequestInfo } from '../pipeline/types';

/** What the pipeline learnt about the operations of one request (every entry of a batch), for metrics and the access log. */
export interface OperationFacts {
  /** `query`, `mutation` or `subscription` of the last entry that reached operation selection. */
  operationType?: string;
  /** Operation names, one per entry that named one (as selected, else as sent). */
  readonly operationNames: string[];
  /** Document ids (SHA-256 of the text, or the persisted id sent), one per entry that had one. */
  readonly documentIds: string[];
  /** Sum of the estimated costs of the entries that were measured. */
  cost?: number;
  /** Persisted-query outcome of the last entry that had one. */
  persistedQuery?: PersistedQueryOutcome;
}

/**
 * Facts per request, keyed by the transport's {@link RequestInfo} (one object per HTTP request, shared by a
 * batch's entries; one per graphql-ws `subscribe`), so the transport adapter can read them when the response
 * is written. Entries disappear with the request object (`WeakMap`).
 */
export class OperationFactsTable {
  private readonly facts = new WeakMap<RequestInfo, OperationFacts>();

  /** @returns the facts of `request`, created empty on first use. */
  of(request: RequestInfo): OperationFacts {
    let facts = this.facts.get(request);
    if (!facts) this.facts.set(request, (facts = { operationNames: [], documentIds: [] }));
    return facts;
  }

  /** @returns the facts of `request`, if the pipeline saw it. */
  peek(request: RequestInfo | undefined): OperationFacts | undefined {
    return request ? this.facts.get(request) : undefined;
  }

  /** Records a persisted-query outcome (the persisted-queries plugin's `onOutcome`). */
  persistedQuery(ctx: OperationContext, outcome: PersistedQueryOutcome, id: string): void {
    const facts = this.of(ctx.request);
    facts.persistedQuery = outcome;
    if (!facts.documentIds.includes(id)) facts.documentIds.push(id);
  }

  /** Records a measured cost (the limits plugin's observer). */
  cost(ctx: OperationContext, cost: number): void {
    const facts = this.of(ctx.request);
    facts.cost = (facts.cost ?? 0) + cost;
  }

  /**
   * The pipeline plugin that records operation type, name and document id once the operation is selected.
   * It must come first in the plugin list, so its `checkOperation` runs before any check can refuse.
   */
  plugin(): PipelinePlugin {
    return {
      name: 'operation-facts',
      checkOperation: (ctx) => {
        const facts = this.of(ctx.request);
        facts.operationType = ctx.operation?.operation;
        const name = ctx.operation?.name?.value ?? ctx.entry.operationName;
        if (name) facts.operationNames.push(name);
        if (ctx.documentHash && !facts.documentIds.includes(ctx.documentHash)) facts.documentIds.push(ctx.documentHash);
        return undefined;
      },
    };
  }
}
