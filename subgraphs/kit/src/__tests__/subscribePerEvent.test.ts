import { buildSchema, parse } from 'graphql';
import { subscribePerEvent } from '../subscribePerEvent';

describe('subscribePerEvent', () => {
  it('executes every event with a fresh context, and return() ends the source', async () => {
    const schema = buildSchema('type Query { x: Int } type Subscription { tick: Int }');
    let returned = false;
    async function* ticks(): AsyncGenerator<{ tick: number }> {
      try {
        yield { tick: 1 };
        yield { tick: 2 };
        yield { tick: 3 };
      } finally {
        returned = true;
      }
    }
    (schema.getSubscriptionType()!.getFields().tick as { subscribe?: unknown }).subscribe = () => ticks();
    (schema.getSubscriptionType()!.getFields().tick as { resolve?: unknown }).resolve = (event: { tick: number }, _args: unknown, context: { id: number }) => event.tick * 100 + context.id;
    let contexts = 0;
    const stream = (await subscribePerEvent(() => ({ id: ++contexts }))({ schema, document: parse('subscription { tick }') })) as AsyncGenerator<{ data?: unknown }>;
    expect((await stream.next()).value).toEqual({ data: { tick: 101 } });
    expect((await stream.next()).value).toEqual({ data: { tick: 202 } });
    await stream.return(undefined);
    expect(returned).toBe(true);
    expect(contexts).toBe(2);
  });
});
