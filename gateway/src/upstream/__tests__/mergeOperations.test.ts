import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql, parse } from 'graphql';
import pino from 'pino';
import { isMergeable, mergeOperations, splitMergedResponse } from '../mergeOperations';
import { defaultSubgraphPolicy } from '../SubgraphPolicy';
import { Upstreams } from '../Upstreams';

// A real GraphQL server (graphql-js over node:http) standing in for a subgraph: `item(id)` fails for id "bad"
// (a nullable field: an error with a path), `strict(id)` is non-null and fails for "bad" (nulls all of `data`).
const schema = buildSchema(`
  type Item { id: ID! name: String tags(first: Int): [String] }
  type Query { item(id: ID!): Item strict(id: ID!): Item! echo(text: String): String }
`);
const rootValue = {
  item: ({ id }: { id: string }) => {
    if (id === 'bad') throw new Error(`no item ${id}`);
    return { id, name: `item ${id}`, tags: ({ first }: { first?: number }) => ['a', 'b', 'c'].slice(0, first ?? 3) };
  },
  strict: ({ id }: { id: string }) => {
    if (id === 'bad') throw new Error(`no strict item ${id}`);
    return { id, name: `strict ${id}` };
  },
  echo: ({ text }: { text?: string }) => text ?? null,
};
const received: { query: string; variables: Record<string, unknown> }[] = [];
let server: Server;
let url: string;
let upstreams: Upstreams;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { query, variables, operationName } = JSON.parse(body) as { query: string; variables: Record<string, unknown>; operationName?: string };
      received.push({ query, variables });
      void graphql({ schema, source: query, rootValue, variableValues: variables, operationName }).then((result) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  upstreams = new Upstreams({
    timeoutMs: 2000,
    policies: { defaults: defaultSubgraphPolicy(2000), bySubgraph: { capped: { maxMergedFetches: 2 } } },
    keepAliveMs: 0,
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await upstreams.close();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
});

const ITEM = 'query Q__s__0($id: ID!, $first: Int) { item(id: $id) { ...F tags(first: $first) } } fragment F on Item { id name }';
const ALIASED = 'query Q__s__1($id: ID!) { thing: item(id: $id) { ...F } other: echo(text: "x") } fragment F on Item { name }';

describe('fetch merging (mergeOperations.ts)', () => {
  it('merges mergeable queries: aliases, variables and fragments prefixed per part; a mutation, root fragments or directives are not mergeable', () => {
    expect(isMergeable(ITEM)).toBe(true);
    expect(isMergeable('mutation { echo }')).toBe(false);
    expect(isMergeable('query { ... on Query { echo } }')).toBe(false);
    expect(isMergeable('query @cached { echo }')).toBe(false);
    expect(isMergeable('{ echo')).toBe(false);
    const merged = mergeOperations([ITEM, ALIASED]);
    expect(merged.operationName).toBe('Q__s__0__merged');
    // a valid operation against the subgraph's schema: graphql-js parses it, and the fragments do not clash
    const document = parse(merged.query);
    expect(document.definitions.map((d) => ('name' in d ? d.name?.value : undefined))).toEqual(['Q__s__0__merged', '_0_F', '_1_F']);
    expect([...merged.aliases]).toEqual([
      ['_0_item', { part: 0, key: 'item' }],
      ['_1_thing', { part: 1, key: 'thing' }],
      ['_1_other', { part: 1, key: 'other' }],
    ]);
    expect(merged.query).toContain('$_0_id: ID!');
    expect(merged.query).toContain('$_1_id: ID!');
    expect(merged.query).toContain('tags(first: $_0_first)');
  });

  it('splits a reply: each part gets its own root fields and the errors under them (path restored); path-less errors go to every part; no data object → undefined', () => {
    const merged = mergeOperations([ITEM, ALIASED]);
    const parts = splitMergedResponse(merged, {
      data: { _0_item: null, _1_thing: { name: 'n' }, _1_other: 'x' },
      errors: [{ message: 'boom', path: ['_0_item', 'name'] }, { message: 'everyone' }],
      cacheHint: { maxAge: 5 },
    });
    expect(parts).toEqual([
      { data: { item: null }, errors: [{ message: 'boom', path: ['item', 'name'] }, { message: 'everyone' }], cacheHint: { maxAge: 5 } },
      { data: { thing: { name: 'n' }, other: 'x' }, errors: [{ message: 'everyone' }], cacheHint: { maxAge: 5 } },
    ]);
    expect(splitMergedResponse(merged, { data: null, errors: [{ message: 'x' }] })).toBeUndefined();
    expect(splitMergedResponse(merged, { errors: [{ message: 'x' }] })).toBeUndefined();
  });

  it('same-turn query fetches to one subgraph travel as one request and each caller gets exactly what it would have alone', async () => {
    const client = upstreams.client('items', url);
    const alone = await Promise.all([
      client.fetch({ query: ITEM, variables: { id: '1', first: 1 } }, { operationType: 'query', coalesce: false }),
      // separate turns: never merged
      new Promise((r) => setImmediate(r)).then(() => client.fetch({ query: ALIASED, variables: { id: 'bad' } }, { operationType: 'query', coalesce: false })),
    ]);
    expect(received).toHaveLength(2);
    received.length = 0;
    const together = await Promise.all([
      client.fetch({ query: ITEM, variables: { id: '1', first: 1 } }, { operationType: 'query', coalesce: false }),
      client.fetch({ query: ALIASED, variables: { id: 'bad' } }, { operationType: 'query', coalesce: false }),
    ]);
    expect(received).toHaveLength(1);
    expect(received[0]!.variables).toEqual({ _0_id: '1', _0_first: 1, _1_id: 'bad' });
    // the same answers; error locations point into the document a caller sent, so a merged reply has none
    const withoutLocations = (r: unknown) => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'locations' ? undefined : v))) as unknown;
    expect(together).toEqual(alone.map(withoutLocations));
    expect(JSON.stringify(alone)).toContain('locations');
    expect(together[0]).toEqual({ data: { item: { id: '1', name: 'item 1', tags: ['a'] } } });
    expect(together[1]!.errors?.[0]).toMatchObject({ message: 'no item bad', path: ['thing'] });
  });

  it('a reply whose data is null (a non-null root field failed) sends the parts again one by one', async () => {
    const client = upstreams.client('items', url);
    const strict = 'query S($id: ID!) { strict(id: $id) { name } }';
    const [good, bad] = await Promise.all([
      client.fetch({ query: strict, variables: { id: 'ok' } }, { operationType: 'query', coalesce: false }),
      client.fetch({ query: strict, variables: { id: 'bad' } }, { operationType: 'query', coalesce: false }),
    ]);
    // one merged request, then each part alone
    expect(received.map((r) => Object.keys(r.variables))).toEqual([['_0_id', '_1_id'], ['id'], ['id']]);
    expect(good).toEqual({ data: { strict: { name: 'strict ok' } } });
    expect(bad!.data).toBeNull();
    expect(bad!.errors?.[0]).toMatchObject({ message: 'no strict item bad', path: ['strict'] });
  });

  it('merges at most maxMergedFetches per request; mutations and keyed fetches are never merged; a joined shared fetch gets its own copy of its part', async () => {
    const capped = upstreams.client('capped', url);
    const results = await Promise.all(['1', '2', '3'].map((id) => capped.fetch({ query: ITEM, variables: { id } }, { operationType: 'query', coalesce: false })));
    expect(received.map((r) => Object.keys(r.variables).length)).toEqual([2, 1]);
    expect(results.map((r) => (r.data?.item as { id: string }).id)).toEqual(['1', '2', '3']);
    received.length = 0;

    const client = upstreams.client('items', url);
    await Promise.all([
      client.fetch({ query: 'mutation M { echo }', variables: {} }, { operationType: 'mutation', coalesce: false }),
      client.fetch({ query: 'mutation M { echo }', variables: {} }, { operationType: 'mutation', coalesce: false }),
      client.fetch({ query: ITEM, variables: { id: '1' } }, { operationType: 'query', coalesce: false, idempotencyKey: 'k:0' }),
      client.fetch({ query: ITEM, variables: { id: '2' } }, { operationType: 'query', coalesce: false, idempotencyKey: 'k:1' }),
    ]);
    expect(received).toHaveLength(4);
    received.length = 0;

    const shared = await Promise.all([
      client.fetch({ query: ITEM, variables: { id: '7' } }, { operationType: 'query', coalesce: true }),
      client.fetch({ query: ITEM, variables: { id: '7' } }, { operationType: 'query', coalesce: true }),
      client.fetch({ query: ALIASED, variables: { id: '8' } }, { operationType: 'query', coalesce: true }),
    ]);
    expect(received).toHaveLength(1);
    expect(shared[0]).toEqual(shared[1]);
    expect(shared[0]!.data).not.toBe(shared[1]!.data);
    expect(shared[2]).toEqual({ data: { thing: { name: 'item 8' }, other: 'x' } });
    received.length = 0;

    // two executions: the second's fetches join both parts of the first's merged request and share one decoded copy
    const decodedReplies = new Map<object, never[]>();
    const [a1, a2, b1, b2] = await Promise.all([
      client.fetch({ query: ITEM, variables: { id: '5' } }, { operationType: 'query', coalesce: true }),
      client.fetch({ query: ALIASED, variables: { id: '6' } }, { operationType: 'query', coalesce: true }),
      client.fetch({ query: ITEM, variables: { id: '5' } }, { operationType: 'query', coalesce: true, decodedReplies }),
      client.fetch({ query: ALIASED, variables: { id: '6' } }, { operationType: 'query', coalesce: true, decodedReplies }),
    ]);
    expect(received).toHaveLength(1);
    expect(decodedReplies.size).toBe(1);
    expect([b1, b2]).toEqual([a1, a2]);
    expect(b1!.data).not.toBe(a1!.data);
    expect(b2!.data).not.toBe(a2!.data);
  });
});
