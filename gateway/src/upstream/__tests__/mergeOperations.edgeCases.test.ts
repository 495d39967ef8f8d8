import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql, GraphQLError, type ExecutionResult } from 'graphql';
import pino from 'pino';
import { mergeOperations } from '../mergeOperations';
import { defaultSubgraphPolicy } from '../SubgraphPolicy';
import type { SubgraphClient } from '../SubgraphClient';
import type { FetchOptions, SubgraphRequest, SubgraphResponse } from '../types';
import { Upstreams } from '../Upstreams';

// Fetch merging (mergeOperations.ts, SubgraphClient enqueue/flush/sendMerged) against a real graphql-js server on
// loopback: every case sends the same fetches once one by one (each in its own event-loop turn: never merged) and
// once in the same turn (merged), and checks that each caller gets what it got alone (error `locations` aside).
// A test may change what the server sends back (`tamper`) to play a misbehaving or failing subgraph.
const schema = buildSchema(`
  directive @upper(when: Boolean) on FIELD
  input Filter { ids: [ID!]! prefix: String = "item" nested: Filter }
  type Item { id: ID! name: String tags(first: Int): [String] }
  type Query {
    item(id: ID!): Item
    strict(id: ID!): Item!
    echo(text: String): String
    items(filter: Filter!): [Item]
    fail(code: String): String
    slow(ms: Int!): String
    big(n: Int!): String
  }
`);
interface FilterInput {
  ids: string[];
  prefix: string;
  nested?: FilterInput;
}
const item = (id: string, prefix = 'item') => ({ id, name: `${prefix} ${id}`, tags: ({ first }: { first?: number }) => ['a', 'b', 'c'].slice(0, first ?? 3) });
const rootValue = {
  item: ({ id }: { id: string }) => {
    if (id === 'bad') throw new Error(`no item ${id}`);
    return item(id);
  },
  strict: ({ id }: { id: string }) => {
    if (id === 'bad') throw new Error(`no strict item ${id}`);
    return item(id, 'strict');
  },
  echo: ({ text }: { text?: string }) => text ?? null,
  items: ({ filter }: { filter: FilterInput }) => [...filter.ids, ...(filter.nested?.ids ?? [])].map((id) => item(id, filter.prefix)),
  fail: ({ code }: { code?: string }) => {
    throw new GraphQLError(`failed ${code ?? ''}`, { extensions: { code: code ?? 'NONE', detail: { n: 1 } } });
  },
  slow: ({ ms }: { ms: number }) => new Promise((resolve) => setTimeout(() => resolve(`slept ${ms}`), ms)),
  big: ({ n }: { n: number }) => 'x'.repeat(n),
};

interface Received {
  readonly query: string;
  readonly variables: Record<string, unknown>;
  readonly operationName: string | undefined;
  readonly headers: Record<string, string | string[] | undefined>;
}
/** What the server does instead of answering the GraphQL result as it is. */
type Tamper = (request: Received, result: ExecutionResult, res: ServerResponse) => 'handled' | undefined;

const received: Received[] = [];
let tamper: Tamper | undefined;
let server: Server;
let url: string;
let upstreams: Upstreams;

/** Whether a request the server received is a merged operation (several parts' aliases). */
const isMergedRequest = (r: Received) => /\b_1_\w+\s*:/.test(r.query);

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      let parsed: { query: string; variables: Record<string, unknown>; operationName?: string };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // as a GraphQL-over-HTTP server answers a body that is not JSON
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'the request body is not JSON' }] }));
        return;
      }
      const { query, variables, operationName } = parsed;
      const request: Received = { query, variables, operationName, headers: req.headers };
      received.push(request);
      void graphql({ schema, source: query, rootValue, variableValues: variables, operationName }).then((result) => {
        if (tamper?.(request, result, res) === 'handled') return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const noRetry = { retry: { maxRetries: 0 } };
  upstreams = new Upstreams({
    timeoutMs: 2000,
    policies: {
      defaults: defaultSubgraphPolicy(2000),
      bySubgraph: {
        noRetry,
        // failures do not open its breaker
        steady: { ...noRetry, breaker: { consecutiveFailures: 0, minimumRequests: 1_000_000 } },
        quick: { ...noRetry, timeoutMs: 300 },
        fragile: { ...noRetry, breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 } },
      },
    },
    keepAliveMs: 0,
    maxResponseBytes: 1000,
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await upstreams.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
  tamper = undefined;
});

type Outcome = { response: SubgraphResponse } | { error: { message: string; extensions: unknown } };

/** A fetch's outcome, failures included; fails the test when it has not settled within `ms`. */
async function outcome(fetch: Promise<SubgraphResponse>, ms = 5000): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the fetch did not settle within ${ms} ms`)), ms)));
  try {
    return { response: await Promise.race([fetch, hung]) };
  } catch (error) {
    const e = error as { message: string; extensions?: unknown };
    if (e.message.startsWith('the fetch did not settle')) throw error;
    return { error: { message: e.message, extensions: e.extensions } };
  } finally {
    clearTimeout(timer);
  }
}

/** Without error `locations` (they point into the document a caller sent; a merged reply has none). */
const withoutLocations = <T>(value: T): T => JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'locations' ? undefined : v))) as T;

const QUERY: FetchOptions = { operationType: 'query', coalesce: false };

/**
 * Sends `requests` one by one (each in its own turn: never merged), then all in the same turn.
 *
 * @returns the outcomes alone (locations dropped), together, and the requests the server received for each.
 */
async function aloneAndTogether(client: SubgraphClient, requests: readonly SubgraphRequest[], options: FetchOptions = QUERY) {
  received.length = 0;
  const alone: Outcome[] = [];
  for (const r of requests) alone.push(await outcome(client.fetch(r, options)));
  const sentAlone = received.splice(0);
  const together = await Promise.all(requests.map((r) => outcome(client.fetch(r, options))));
  const sentTogether = received.splice(0);
  return { alone: alone.map(withoutLocations), together: together.map(withoutLocations), sentAlone, sentTogether };
}

describe('fetch merging: operations whose names look like the merge prefixes, fragments, variables, directives', () => {
  it('aliases, variables and fragments already named like the prefixes (`_0_x`, `$_1_id`, `_0_F`) and same-named fragments with different bodies stay apart', async () => {
    const client = upstreams.client('items', url);
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      {
        query: 'query ($_1_id: ID!, $id: ID!) { _0_x: item(id: $_1_id) { ..._0_F } _1_id: item(id: $id) { ...F } } fragment _0_F on Item { id } fragment F on Item { name }',
        variables: { _1_id: 'a', id: 'b' },
      },
      {
        query: 'query ($id: ID!, $_0_t: String) { _0_x: echo(text: $_0_t) item(id: $id) { ..._0_F ...F } } fragment _0_F on Item { name } fragment F on Item { tags(first: 1) }',
        variables: { id: 'c', _0_t: 'c' },
      },
      { query: 'query ($_0_x: String) { _0_x: echo(text: $_0_x) } ', variables: { _0_x: 'd' } },
    ]);
    expect(sentTogether).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(together[0]).toEqual({ response: { data: { _0_x: { id: 'a' }, _1_id: { name: 'item b' } } } });
    expect(together[1]).toEqual({ response: { data: { _0_x: 'c', item: { name: 'item c', tags: ['a'] } } } });
    expect(together[2]).toEqual({ response: { data: { _0_x: 'd' } } });
  });

  it('fragments spread inside inline fragments, nested fragments, variables used only inside fragments', async () => {
    const client = upstreams.client('items', url);
    const nested = 'query N($id: ID!, $n: Int) { item(id: $id) { ... on Item { ...A } } } fragment A on Item { id ...B } fragment B on Item { ... on Item { tags(first: $n) } }';
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: nested, variables: { id: '1', n: 1 } },
      { query: nested, variables: { id: '2', n: 2 } },
      { query: 'query M($id: ID!) { item(id: $id) { ...B } } fragment B on Item { name }', variables: { id: '3' } },
    ]);
    expect(sentTogether).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(together[1]).toEqual({ response: { data: { item: { id: '2', tags: ['a', 'b'] } } } });
    expect(together[2]).toEqual({ response: { data: { item: { name: 'item 3' } } } });
  });

  it('@skip/@include with variables (a part whose every root field is skipped included), a custom directive with a variable argument', async () => {
    const client = upstreams.client('items', url);
    const q = 'query D($s: Boolean!, $i: Boolean!, $u: Boolean) { a: echo(text: "a") @skip(if: $s) b: item(id: "1") { id name @include(if: $i) } c: echo(text: "c") @upper(when: $u) }';
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: q, variables: { s: true, i: false, u: true } },
      { query: q, variables: { s: false, i: true, u: false } },
      { query: 'query E($s: Boolean!) { echo(text: "e") @skip(if: $s) }', variables: { s: true } },
    ]);
    expect(sentTogether).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(together[0]).toEqual({ response: { data: { b: { id: '1' }, c: 'c' } } });
    expect(together[2]).toEqual({ response: { data: {} } });
  });

  it('default values, list and input-object variables (nested, with a default inside), explicit null, a variable left out', async () => {
    const client = upstreams.client('items', url);
    const q = 'query L($f: Filter! = { ids: ["d"] }, $t: String = "dflt", $first: Int = 2) { items(filter: $f) { id name tags(first: $first) } echo(text: $t) }';
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: q, variables: {} },
      { query: q, variables: { f: { ids: ['1', '2'], nested: { ids: ['3'], prefix: 'n' } }, t: null, first: 1 } },
      { query: q, variables: { f: { ids: [], prefix: 'p' }, t: 'x' } },
    ]);
    expect(sentTogether).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(together[0]).toEqual({ response: { data: { items: [{ id: 'd', name: 'item d', tags: ['a', 'b'] }], echo: 'dflt' } } });
    expect(together[1]).toEqual({ response: { data: { items: ['1', '2', '3'].map((id) => ({ id, name: `item ${id}`, tags: ['a'] })), echo: null } } });
  });

  it('`__typename` at the root, the same root field with the same arguments in several parts (never deduplicated), aliases that clash across parts', async () => {
    const client = upstreams.client('items', url);
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: '{ __typename x: echo(text: "same") }', variables: {} },
      { query: '{ __typename x: echo(text: "same") }', variables: {} },
      { query: '{ x: item(id: "same") { __typename id } __typename: echo(text: "t") }', variables: {} },
    ]);
    expect(sentTogether).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(together.map((o) => ('response' in o ? o.response.data : o))).toEqual([
      { __typename: 'Query', x: 'same' },
      { __typename: 'Query', x: 'same' },
      { x: { __typename: 'Item', id: 'same' }, __typename: 't' },
    ]);
  });

  it('a part whose variables or fragments are invalid alone (unused variable, wrong variable type, missing variable) gets its own request error; the others their data', async () => {
    const client = upstreams.client('items', url);
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: 'query U($unused: Int) { echo(text: "u") }', variables: {} },
      { query: 'query T($n: Int) { item(id: "1") { tags(first: $n) } }', variables: { n: 'not a number' } },
      { query: 'query R($id: ID!) { item(id: $id) { id } }', variables: {} },
      { query: '{ echo(text: "fine") }', variables: {} },
    ]);
    // one merged request (a request error: no data), then every part alone
    expect(sentTogether).toHaveLength(5);
    expect(together).toEqual(alone);
    expect(together[3]).toEqual({ response: { data: { echo: 'fine' } } });
  });

  it('a response key `__proto__` stays an own key of the part, as alone (no prototype set on the part data)', async () => {
    const client = upstreams.client('items', url);
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: '{ __proto__: item(id: "p") { id name } }', variables: {} },
      { query: '{ __proto__: echo(text: "s") }', variables: {} },
    ]);
    expect(sentTogether).toHaveLength(1);
    expect(together).toEqual(alone);
    const data = (together[0] as { response: SubgraphResponse }).response.data!;
    expect(Object.keys(data)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect((data as { id?: unknown }).id).toBeUndefined();
  });
});

describe('fetch merging: operation names, operation types, headers', () => {
  it('a variable name that needs JSON escaping stays inside its own part: it sets no other part variable and keeps the body JSON', async () => {
    const client = upstreams.client('items', url);
    const q = 'query I($id: ID!) { item(id: $id) { id } }';
    // variables the operation does not declare are ignored by the subgraph; these names are not GraphQL names
    for (const extra of [{ 'x":0,"_0_id': 'injected' }, { 'quote"\\': 1 }]) {
      const { alone, together, sentTogether } = await aloneAndTogether(client, [
        { query: q, variables: { id: 'mine' } },
        { query: q, variables: { id: 'theirs', ...extra } },
      ]);
      expect(sentTogether).toHaveLength(1);
      expect(sentTogether[0]!.variables).toMatchObject({ _0_id: 'mine', _1_id: 'theirs' });
      expect(together).toEqual(alone);
      expect(together[0]).toEqual({ response: { data: { item: { id: 'mine' } } } });
    }
  });

  it('a named and an unnamed part merge in either order; each part answers as alone', async () => {
    const client = upstreams.client('items', url);
    const named = { query: 'query Named { echo(text: "n") }', variables: {}, operationName: 'Named' };
    const unnamed = { query: '{ echo(text: "u") }', variables: {} };
    const first = await aloneAndTogether(client, [named, unnamed]);
    expect(first.sentTogether).toHaveLength(1);
    expect(first.sentTogether[0]!.operationName).toBe('Named__merged');
    expect(first.together).toEqual(first.alone);
    const second = await aloneAndTogether(client, [unnamed, named]);
    expect(second.sentTogether).toHaveLength(1);
    expect(second.sentTogether[0]!.operationName).toBeUndefined();
    expect(second.together).toEqual(second.alone);
  });

  it('mutations and subscription-event fetches are never merged; a query document holding a mutation is not merged', async () => {
    const client = upstreams.client('items', url);
    const asMutation = await aloneAndTogether(
      client,
      [0, 1].map(() => ({ query: '{ echo(text: "m") }', variables: {} })),
      { operationType: 'mutation', coalesce: false },
    );
    expect(asMutation.sentTogether).toHaveLength(2);
    const asSubscription = await aloneAndTogether(
      client,
      [0, 1].map(() => ({ query: '{ echo(text: "s") }', variables: {} })),
      { operationType: 'subscription', coalesce: false },
    );
    expect(asSubscription.sentTogether).toHaveLength(2);
    const twoOperations = await aloneAndTogether(client, [
      { query: 'query A { echo(text: "a") } mutation B { echo(text: "b") }', variables: {}, operationName: 'A' },
      { query: 'query A { echo(text: "a") } mutation B { echo(text: "b") }', variables: {}, operationName: 'A' },
    ]);
    expect(twoOperations.sentTogether).toHaveLength(2);
    expect(twoOperations.together).toEqual(twoOperations.alone);
  });

  it('parts with different headers never share a request; each request carries the headers of its parts', async () => {
    const client = upstreams.client('items', url);
    const ask = (who: string, text: string) => client.fetch({ query: `{ echo(text: "${text}") }`, variables: {} }, { operationType: 'query', coalesce: false, headers: { 'roam-claims': who } });
    const results = await Promise.all([ask('alice', 'a1'), ask('bob', 'b1'), ask('alice', 'a2'), ask('bob', 'b2')]);
    expect(results.map((r) => r.data?.echo)).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(received).toHaveLength(2);
    const byUser = Object.fromEntries(received.map((r) => [r.headers['roam-claims'], r.query]));
    expect(byUser.alice).toContain('"a1"');
    expect(byUser.alice).toContain('"a2"');
    expect(byUser.alice).not.toContain('"b');
    expect(byUser.bob).toContain('"b1"');
    expect(byUser.bob).toContain('"b2"');
  });
});

describe('fetch merging: splitting errors and failures back to the parts', () => {
  it('errors with and without a path, with extensions, partial data: each part gets its own, path-less ones go to every part', async () => {
    const client = upstreams.client('items', url);
    tamper = (request, result, res) => {
      // a path-less error next to the data (what some servers send for warnings)
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...result, errors: [...(result.errors ?? []), { message: 'warning', extensions: { code: 'W' } }] }));
      return 'handled';
    };
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: '{ a: fail(code: "A") b: echo(text: "b") }', variables: {} },
      { query: '{ item(id: "bad") { id } fail }', variables: {} },
      { query: '{ echo(text: "ok") }', variables: {} },
    ]);
    expect(sentTogether).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(together[0]).toEqual({
      response: {
        data: { a: null, b: 'b' },
        errors: [
          { message: 'failed A', path: ['a'], extensions: { code: 'A', detail: { n: 1 } } },
          { message: 'warning', extensions: { code: 'W' } },
        ],
      },
    });
    expect(together[2]).toEqual({ response: { data: { echo: 'ok' }, errors: [{ message: 'warning', extensions: { code: 'W' } }] } });
  });

  it('a reply with `data: null` and errors, or only errors, or an HTTP 500 with a GraphQL body: the parts are sent again alone', async () => {
    const client = upstreams.client('noRetry', url);
    tamper = (request, result, res) => {
      if (!isMergedRequest(request)) return undefined;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'merged operation refused' }] }));
      return 'handled';
    };
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: '{ echo(text: "a") }', variables: {} },
      { query: '{ strict(id: "bad") { id } }', variables: {} },
    ]);
    expect(sentTogether).toHaveLength(3);
    expect(together).toEqual(alone);
  });

  it('a non-JSON reply, an HTTP 500 without a GraphQL body, a reset connection: every part fails with its own error, none hangs', async () => {
    const client = upstreams.client('steady', url);
    const requests = [
      { query: '{ echo(text: "a") }', variables: {} },
      { query: '{ item(id: "1") { id } }', variables: {} },
    ];
    for (const failure of ['not json', 'http 500', 'reset'] as const) {
      tamper = (request, result, res) => {
        if (failure === 'reset') res.socket?.destroy();
        else if (failure === 'http 500') {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('oops');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"data": {');
        }
        return 'handled';
      };
      const { alone, together, sentTogether } = await aloneAndTogether(client, requests);
      expect(sentTogether).toHaveLength(1);
      expect(together).toEqual(alone);
      expect(together.every((o) => 'error' in o)).toBe(true);
    }
  });

  it('a merged request past the deadline: every part fails "timed out", none hangs', async () => {
    const client = upstreams.client('quick', url);
    tamper = () => 'handled'; // never answers
    const started = Date.now();
    const together = await Promise.all([0, 1, 2].map((i) => outcome(client.fetch({ query: `{ echo(text: "${i}") }`, variables: {} }, QUERY))));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(received).toHaveLength(1);
    expect(together.map((o) => ('error' in o ? (o.error.extensions as { reason?: string }).reason : o))).toEqual(['timed out', 'timed out', 'timed out']);
  });

  it('a reply missing one part alias: that part gets the data it was sent (none), the others theirs', async () => {
    const client = upstreams.client('items', url);
    tamper = (request, result, res) => {
      const data = { ...(result.data as Record<string, unknown>) };
      delete data._1_echo;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data }));
      return 'handled';
    };
    const [a, b] = await Promise.all([client.fetch({ query: '{ echo(text: "a") }', variables: {} }, QUERY), client.fetch({ query: '{ echo(text: "b") }', variables: {} }, QUERY)]);
    expect(received).toHaveLength(1);
    expect(a).toEqual({ data: { echo: 'a' } });
    expect(b).toEqual({ data: {} });
  });

  it('malformed error entries next to data (null, a string, a number) reach every part as they were sent, as alone', async () => {
    const client = upstreams.client('items', url);
    tamper = (request, result, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: result.data, errors: [null, 'boom', 7] }));
      return 'handled';
    };
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: '{ echo(text: "a") }', variables: {} },
      { query: '{ echo(text: "b") }', variables: {} },
    ]);
    expect(sentTogether).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(together[1]).toEqual({ response: { data: { echo: 'b' }, errors: [null, 'boom', 7] } });
  });

  it('an `errors` member that is not a list, next to data, reaches every part as it was sent, as alone', async () => {
    const client = upstreams.client('items', url);
    for (const errors of [{ message: 'an object' }, 'a string', 42]) {
      tamper = (request, result, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: result.data, errors }));
        return 'handled';
      };
      const { alone, together, sentTogether } = await aloneAndTogether(client, [
        { query: '{ echo(text: "a") }', variables: {} },
        { query: '{ echo(text: "b") }', variables: {} },
      ]);
      expect(sentTogether).toHaveLength(1);
      expect(together).toEqual(alone);
    }
  });

  it('a merged reply past maxResponseBytes whose parts each fit: each part gets its own answer, as alone', async () => {
    const client = upstreams.client('items', url);
    const { alone, together, sentTogether } = await aloneAndTogether(client, [
      { query: '{ big(n: 350) }', variables: {} },
      { query: '{ big(n: 360) }', variables: {} },
      { query: '{ big(n: 370) }', variables: {} },
      { query: '{ big(n: 1200) }', variables: {} },
    ]);
    expect(alone.map((o) => 'response' in (o as object))).toEqual([true, true, true, false]);
    expect(together).toEqual(alone);
    // the merged request, then each part alone
    expect(sentTogether).toHaveLength(5);
  });
});

describe('fetch merging: the cap, several subgraphs, the breaker, in-flight sharing', () => {
  it('more fetches than maxMergedFetches in one turn: requests of at most 16 parts, every caller its own answer', async () => {
    const client = upstreams.client('items', url);
    const results = await Promise.all(Array.from({ length: 35 }, (_, i) => client.fetch({ query: 'query I($id: ID!) { item(id: $id) { id } }', variables: { id: String(i) } }, QUERY)));
    expect(results.map((r) => (r.data?.item as { id: string }).id)).toEqual(Array.from({ length: 35 }, (_, i) => String(i)));
    expect(received.map((r) => Object.keys(r.variables).length)).toEqual([16, 16, 3]);
  });

  it('fetches to two subgraphs in the same turn: one merged request to each', async () => {
    const items = upstreams.client('items', url);
    const other = upstreams.client('other', url);
    const results = await Promise.all([
      items.fetch({ query: '{ echo(text: "i1") }', variables: {} }, QUERY),
      other.fetch({ query: '{ echo(text: "o1") }', variables: {} }, QUERY),
      items.fetch({ query: '{ echo(text: "i2") }', variables: {} }, QUERY),
      other.fetch({ query: '{ echo(text: "o2") }', variables: {} }, QUERY),
    ]);
    expect(results.map((r) => r.data?.echo)).toEqual(['i1', 'o1', 'i2', 'o2']);
    expect(received).toHaveLength(2);
    // (the two requests may reach the server in either order)
    expect(received.map((r) => r.query.match(/"(\w)\d"/g)?.map((s) => s[1])).sort()).toEqual([
      ['i', 'i'],
      ['o', 'o'],
    ]);
  });

  it('while the breaker is open a merged fetch fails at once for every part with "circuit open"', async () => {
    const client = upstreams.client('fragile', url);
    tamper = (request, result, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
      return 'handled';
    };
    await outcome(client.fetch({ query: '{ echo(text: "trip") }', variables: {} }, QUERY));
    expect(upstreams.guard('fragile').state).toBe('open');
    received.length = 0;
    const together = await Promise.all([0, 1].map((i) => outcome(client.fetch({ query: `{ echo(text: "${i}") }`, variables: {} }, QUERY))));
    expect(received).toHaveLength(0);
    expect(together.map((o) => ('error' in o ? (o.error.extensions as { reason?: string }).reason : o))).toEqual(['circuit open', 'circuit open']);
  });

  it('a subgraph that refuses merged operations (an alias limit of its own) but answers their fetches alone: merging to it is suspended after 3 refusals in a row, and each caller gets its answer throughout', async () => {
    const client = upstreams.client('armored', url);
    const guard = upstreams.guard('armored');
    // as graphql-armor's max-aliases rule answers an operation with too many aliases: 400, errors only
    tamper = (request, result, res) => {
      if ((request.query.match(/\w+\s*:\s*echo/g) ?? []).length <= 1) return undefined;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Aliases limit of 1 exceeded', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] }));
      return 'handled';
    };
    const round = async (r: number) => {
      received.length = 0;
      const together = await Promise.all([0, 1, 2].map((i) => outcome(client.fetch({ query: `{ echo(text: "${r}.${i}") }`, variables: {} }, QUERY))));
      // the alone re-sends settle the callers first; their outcome is recorded a tick later
      await new Promise((resolve) => setImmediate(resolve));
      expect(together).toEqual([0, 1, 2].map((i) => ({ response: { data: { echo: `${r}.${i}` } } })));
      return received.map((x) => (isMergedRequest(x) ? 'merged' : 'alone'));
    };
    for (let r = 0; r < 3; r++) {
      expect(await round(r)).toEqual(['merged', 'alone', 'alone', 'alone']);
      expect(guard.mergeSuspensions).toBe(r === 2 ? 1 : 0);
    }
    // suspended: three requests, none merged
    expect(await round(3)).toEqual(['alone', 'alone', 'alone']);
    expect(guard.mergesAllowed()).toBe(false);
    // a subgraph that answers merged operations keeps merging: 'items' never refused one
    expect(upstreams.guard('items').mergesAllowed()).toBe(true);
  });

  it('a merged reply without data whose fetches fail alone too (the subgraph is failing, not refusing merges) does not suspend merging', async () => {
    const client = upstreams.client('failing', url);
    tamper = (request, result, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: null, errors: [{ message: 'database down' }] }));
      return 'handled';
    };
    for (let r = 0; r < 4; r++) {
      received.length = 0;
      const together = await Promise.all([0, 1].map((i) => outcome(client.fetch({ query: `{ echo(text: "${r}.${i}") }`, variables: {} }, QUERY))));
      await new Promise((resolve) => setImmediate(resolve));
      expect(together).toEqual([0, 1].map(() => ({ response: { data: null, errors: [{ message: 'database down' }] } })));
      expect(received.map((x) => (isMergedRequest(x) ? 'merged' : 'alone'))).toEqual(['merged', 'alone', 'alone']);
    }
    expect(upstreams.guard('failing').mergeSuspensions).toBe(0);
    expect(upstreams.guard('failing').mergesAllowed()).toBe(true);
  });

  it('an identical fetch joining a merged one in flight gets its part; a merged fetch joining an unmerged one gets the whole reply', async () => {
    const client = upstreams.client('items', url);
    const shared = { operationType: 'query', coalesce: true } as const;
    // the server holds its replies until the test releases them, so the later fetches surely find them in flight
    const held: (() => void)[] = [];
    tamper = (request, result, res) => {
      held.push(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: result.data, errors: [null] }));
      });
      return 'handled';
    };
    const heldReplies = async (n: number) => {
      while (held.length < n) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const release = () => held.splice(0).forEach((send) => send());
    const a = { query: '{ echo(text: "a") }', variables: {} };
    const b = { query: '{ echo(text: "b") }', variables: {} };
    const first = [client.fetch(a, shared), client.fetch(b, shared)];
    await heldReplies(1);
    const decodedReplies = new Map<object, never[]>();
    const joined = [client.fetch(b, { ...shared, decodedReplies }), client.fetch(a, { ...shared, decodedReplies })];
    release();
    const results = await Promise.all([...first, ...joined].map((f) => outcome(f)));
    expect(received).toHaveLength(1);
    expect(results).toEqual([
      { response: { data: { echo: 'a' }, errors: [null] } },
      { response: { data: { echo: 'b' }, errors: [null] } },
      { response: { data: { echo: 'b' }, errors: [null] } },
      { response: { data: { echo: 'a' }, errors: [null] } },
    ]);
    received.length = 0;
    // an unmerged fetch in flight (alone in its turn), then the same fetch and another in a later turn
    const alone = client.fetch(a, shared);
    await heldReplies(1);
    const later = Promise.all([client.fetch(a, shared), client.fetch(b, shared)]);
    await heldReplies(2);
    release();
    expect(await alone).toEqual({ data: { echo: 'a' }, errors: [null] });
    expect(await later).toEqual([
      { data: { echo: 'a' }, errors: [null] },
      { data: { echo: 'b' }, errors: [null] },
    ]);
    // the later `a` joined the one in flight; `b` went alone (nothing left to merge it with)
    expect(received).toHaveLength(2);
    expect(received[1]!.query).toBe(b.query);
  });
});

describe('fetch merging: the caches', () => {
  it('merged operations are cached by size as well as by count: merges of large operations do not pile up', () => {
    // 48 different operations of ~10 KB (a wide selection), merged 16 at a time in 47 different combinations:
    // about 15 million characters of merged text (and as much again of cache keys), far past the size budget.
    const wide = (k: number) => `query W${k}($id: ID!) { item(id: $id) { ${Array.from({ length: 700 }, (_, i) => `f${k}_${i}: name`).join(' ')} } }`;
    const ops = Array.from({ length: 48 }, (_, k) => wide(k));
    const first = ops.slice(0, 16);
    const merged = mergeOperations(first);
    expect(mergeOperations(first)).toBe(merged);
    for (let c = 1; c < 48; c++) mergeOperations(Array.from({ length: 16 }, (_, i) => ops[(c + i) % 48]!));
    // the first combination was evicted to keep the cache within its budget (it is merged afresh, the same text)
    const again = mergeOperations(first);
    expect(again).not.toBe(merged);
    expect(again.query).toBe(merged.query);
  });
});
