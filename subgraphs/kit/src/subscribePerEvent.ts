import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * A graphql-ws `subscribe` that executes every event with a fresh context from `createContext`
 * (GraphQL spec "MapSourceToResponseEvent", with a new context per event), so per-request DataLoaders
 * never serve one event's cached rows to a later event. graphql-js's own `subscribe` reuses one context
 * for the whole subscription.
 *
 * @returns the response stream, or an `ExecutionResult` with errors when the source stream cannot be created.
 */
export function subscribePerEvent(createContext: () => unknown): (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
    const events = source as AsyncIterableIterator<unknown>;
    const run = async (step: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> =>
      step.done ? { value: undefined, done: true } : { value: (await execute({ ...args, rootValue: step.value, contextValue: createContext() })) as ExecutionResult, done: false };
    return {
      next: async () => run(await events.next()),
      return: async () => {
        await events.return?.();
        return { value: undefined, done: true };
      },
      throw: async (error: unknown) => {
        await events.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    } as AsyncGenerator<ExecutionResult>;
  };
}
