import { GraphQLError } from 'graphql';
import { EventPayload } from '../EventPayload';
import { EventStream } from '../EventStream';

const overflow = () => new GraphQLError('overflow', { extensions: { code: 'SUBSCRIPTION_OVERFLOW' } });

describe('EventStream', () => {
  it('delivers queued events before the terminal error, then finishes once', async () => {
    let finished = 0;
    const s = new EventStream(10, () => finished++, overflow);
    s.push({ data: { n: 1 } });
    s.fail(new GraphQLError('boom', { extensions: { code: 'X' } }));
    s.push({ data: { n: 2 } }); // ignored after the terminal call
    s.end(); // ignored: the first terminal call wins
    expect(await s.next()).toEqual({ value: { data: { n: 1 } }, done: false });
    await expect(s.next()).rejects.toMatchObject({ extensions: { code: 'X' } });
    await s.return();
    expect(finished).toBe(1);
  });

  it('return() resolves a pending next() with done at once and runs onFinish', async () => {
    let finished = 0;
    const s = new EventStream(10, () => finished++, overflow);
    const pending = s.next();
    await s.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(finished).toBe(1);
    s.push({ data: {} });
    expect(await s.next()).toEqual({ value: undefined, done: true });
  });

  it('fails with SUBSCRIPTION_OVERFLOW when more than maxQueued events wait, dropping them', async () => {
    const s = new EventStream(2, () => undefined, overflow);
    for (let i = 0; i < 3; i++) s.push({ data: { i } });
    await expect(s.next()).rejects.toMatchObject({ extensions: { code: 'SUBSCRIPTION_OVERFLOW' } });
  });
});

describe('EventStream fast path (direct writes)', () => {
  it('writes the serialised payload instead of queueing, and fails with SUBSCRIPTION_OVERFLOW when the writer refuses', async () => {
    const written: string[] = [];
    let accept = true;
    const s = new EventStream(
      10,
      () => undefined,
      overflow,
      (payload) => (accept ? (written.push(payload.json), true) : false),
    );
    s.push({ data: { n: 1 } }, () => new EventPayload('{"data":{"n":1}}'));
    expect(written).toEqual(['{"data":{"n":1}}']);
    accept = false;
    s.push({ data: { n: 2 } }, () => new EventPayload('{"data":{"n":2}}'));
    await expect(s.next()).rejects.toMatchObject({ extensions: { code: 'SUBSCRIPTION_OVERFLOW' } });
  });

  it('writes nothing after return()', async () => {
    const written: string[] = [];
    const s = new EventStream(
      10,
      () => undefined,
      overflow,
      (payload) => (written.push(payload.json), true),
    );
    await s.return();
    s.push({ data: {} }, () => new EventPayload('{}'));
    expect(written).toEqual([]);
  });
});
