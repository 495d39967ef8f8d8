import type { OperationPipeline } from './OperationPipeline';
import type { OperationResult, RequestInfo } from './types';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Runs the entries of a batch (a JSON or MessagePack array) through the pipeline, concurrently, with one
 * outcome per entry in the order sent; one entry's failure is that entry's outcome only. Mutations run in
 * order: once its checks are done (a persisted hash is resolved and parsed by then), a mutation waits until every
 * earlier entry has either proven not to be a mutation or, if it is one, finished - as GraphQL runs a
 * document's root mutation fields serially (GraphQL spec, "Mutation").
 *
 * @param entries - the decoded array elements.
 * @param info - the request's info, with `inBatch: true`.
 * @returns the outcomes, `outcomes[i]` for `entries[i]`; never throws.
 */
export async function runBatch(pipeline: OperationPipeline, entries: readonly unknown[], info: RequestInfo): Promise<OperationResult[]> {
  const mutation = entries.map(() => deferred<boolean>());
  const finished = entries.map(() => deferred<void>());
  return Promise.all(
    entries.map(async (raw, i) => {
      try {
        return await pipeline.run(raw, info, async (op) => {
          const isMut = op.operation.operation === 'mutation';
          mutation[i]!.resolve(isMut);
          if (!isMut) return;
          for (let j = 0; j < i; j++) if (await mutation[j]!.promise) await finished[j]!.promise;
        });
      } finally {
        mutation[i]!.resolve(false);
        finished[i]!.resolve();
      }
    }),
  );
}
