import { EVENT_ID_EXTENSION } from '@roam/redis';
import { roamError } from '@roam/errors';
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { eventIdOf } from './pubsub/eventIterator';
import { resumeRequestIgnored } from './pubsub/resumeRequest';

/**
 * A graphql-ws `subscribe` that executes every event with a fresh context from `createContext`
 * (GraphQL spec "MapSourceToResponseEvent", with a new context per event), so per-request DataLoaders
 * never serve one event's cached rows to a later event. graphql-js's own `subscribe` reuses one context
 * for the whole subscription.
 *
 * Every result of an event that came from a {@link PubSub} event log carries the event's id in
 * `extensions.eventId` ({@link EVENT_ID_EXTENSION}), which the gateway passes on to clients for resume. A
 * subscribe payload that asked to resume (`extensions.lastEventId`) on a field whose resolver does not read
 * the request ({@link resumeRequestOf}) is refused with `SUBSCRIPTION_RESUME_UNSUPPORTED`, never served
 * silently from "now".
 *
 * @returns the response stream, or an `ExecutionResult` with errors when the source stream cannot be created.
 */
export function subscribePerEvent(createContext: () => unknown): (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
    const events = source as AsyncIterableIterator<unknown>;
    if (resumeRequestIgnored(args.contextValue)) {
      await events.return?.();
      return { errors: [roamError('SUBSCRIPTION_RESUME_UNSUPPORTED', 'This subscription field cannot resume after an event id; subscribe without extensions.lastEventId.')] };
    }
    const run = async (step: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> => {
      if (step.done) return { value: undefined, done: true };
      const result = (await execute({ ...args, rootValue: step.value, contextValue: createContext() })) as ExecutionResult;
      const eventId = eventIdOf(step.value);
      return { value: eventId === undefined ? result : { ...result, extensions: { ...result.extensions, [EVENT_ID_EXTENSION]: eventId } }, done: false };
    };
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
