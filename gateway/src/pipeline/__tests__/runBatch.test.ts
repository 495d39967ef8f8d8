import { ApolloServer, HeaderMap } from '@apollo/server';
import pino from 'pino';
import { runBatch } from '../runBatch';
import type { EntryStep, RequestInfo } from '../types';

// A real Apollo Server on a local schema: resolvers record the order in which fields run.
describe('runBatch', () => {
  const ran: string[] = [];
  const apollo = new ApolloServer({
    typeDefs: 'type Query { read(n: Int!): Int } type Mutation { write(n: Int!): Int }',
    resolvers: {
      Query: { read: (_: unknown, { n }: { n: number }) => (ran.push(`read ${n}`), n) },
      Mutation: { write: (_: unknown, { n }: { n: number }) => (ran.push(`write ${n}`), n) },
    },
  });
  // A step that holds entry 1 back, as a slow persisted-query lookup would.
  const slowFirst: EntryStep = async (entry) => {
    if ((entry.variables as { n?: number } | undefined)?.n === 1) await new Promise((resolve) => setTimeout(resolve, 100));
    return entry;
  };
  const runner = { apollo, steps: [slowFirst], logger: pino({ level: 'silent' }) };
  const info: RequestInfo = {
    method: 'POST',
    headers: new HeaderMap([['content-type', 'application/json']]),
    search: '',
    clientName: undefined,
    clientVersion: undefined,
    inBatch: true,
  };
  const write = (n: number) => ({ query: 'mutation W($n: Int!) { write(n: $n) }', variables: { n } });
  const read = (n: number) => ({ query: 'query R($n: Int!) { read(n: $n) }', variables: { n } });

  beforeAll(() => apollo.start());
  afterAll(() => apollo.stop());
  beforeEach(() => (ran.length = 0));

  it('runs mutations in the order sent, even when an earlier one is slower to resolve', async () => {
    const outcomes = await runBatch(runner, [write(1), write(2), write(3)], info);
    expect(outcomes.map((o) => JSON.parse(o.body))).toEqual([{ data: { write: 1 } }, { data: { write: 2 } }, { data: { write: 3 } }]);
    expect(ran).toEqual(['write 1', 'write 2', 'write 3']);
  });

  it('lets queries run without waiting for the mutations before them', async () => {
    await runBatch(runner, [write(1), read(2)], info);
    expect(ran).toEqual(['read 2', 'write 1']);
  });

  it('gives a bad entry its own result and keeps the order', async () => {
    const outcomes = await runBatch(runner, [read(5), 'nope', { query: '{ missing }' }, write(6)], info);
    const bodies = outcomes.map((o) => JSON.parse(o.body));
    expect(bodies[0]).toEqual({ data: { read: 5 } });
    expect(bodies[1].errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(bodies[2].errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(bodies[3]).toEqual({ data: { write: 6 } });
  });
});
