import { createServer, type Server } from 'node:http';
import { buildClientSchema, getIntrospectionQuery, isObjectType, type IntrospectionQuery } from 'graphql';
import { request } from 'undici';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';
import { postGraphQL, openAcked } from '@roam/testkit';

const NO_STACK = /stacktrace|\n\s+at |\.ts:\d+|\.js:\d+|Maximum call stack|Cannot read properties/;

/** `{"a":{"a":...1}}` nested `levels` deep, as JSON text. */
function deepJson(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/** A MessagePack request `{ query, variables: {a:{a:...1}} }` with `levels` nested maps (hand-encoded). */
function deepMsgpack(query: string, levels: number): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([0xd9, Buffer.byteLength(s)]), Buffer.from(s)]);
  const level = Buffer.concat([Buffer.from([0x81]), str('a')]);
  return Buffer.concat([Buffer.from([0x82]), str('query'), str(query), str('variables'), Buffer.alloc(level.length * levels, level), Buffer.from([0x01])]);
}

/**
 * Regression tests for request edge cases found on a fresh clone: unknown/empty operation names,
 * unexpected failures leaking their JS message, deeply nested variables, and root introspection under the
 * Roam executor. Real subgraph processes, both executors (EXECUTOR=roam and EXECUTOR=apollo).
 */
describe('request edge cases on both executors', () => {
  let subgraphs: SubgraphProcesses;
  let roam: GatewayProcess;
  let apollo: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    const supergraph = writeSupergraph(subgraphs.definitions());
    [roam, apollo] = await Promise.all([startGateway(supergraph, { EXECUTOR: 'roam' }), startGateway(supergraph, { EXECUTOR: 'apollo' })]);
  });
  afterAll(async () => {
    await Promise.all([roam?.stop(), apollo?.stop()]);
    await subgraphs?.stop();
  });
  const both = () =>
    [
      ['roam', roam],
      ['apollo', apollo],
    ] as const;

  describe('operationName that selects no operation → 400 OPERATION_RESOLUTION_FAILURE', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['an unknown name', { query: 'query A { me { id } }', operationName: 'B' }, 'Unknown operation named "B".'],
      ['an empty name', { query: 'query A { me { id } }', operationName: '' }, 'Unknown operation named "".'],
      ['two operations and no name', { query: 'query A { me { id } } query B { me { name } }' }, 'Must provide operation name if query contains multiple operations.'],
      ['a mutation with an unknown name', { query: 'mutation M { addReview(input: { authorId: "1", productUpc: "1", body: "x" }) { id } }', operationName: 'N' }, 'Unknown operation named "N".'],
    ];
    it.each(cases)('%s', async (_name, body, message) => {
      for (const [executor, gateway] of both()) {
        const res = await postGraphQL(gateway.url, body);
        expect({ executor, status: res.status, body: res.body }).toEqual({ executor, status: 400, body: { errors: [{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] } });
      }
    });

    it('over GET', async () => {
      for (const [executor, gateway] of both()) {
        const res = await request(`${gateway.url}?query=${encodeURIComponent('query A { me { id } }')}&operationName=B`, { headers: { 'apollo-require-preflight': '1' } });
        expect({ executor, status: res.statusCode, body: await res.body.json() }).toEqual({
          executor,
          status: 400,
          body: { errors: [{ message: 'Unknown operation named "B".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] },
        });
      }
    });

    it('over a WebSocket, with the same message', async () => {
      const socket = await openAcked(roam.url);
      try {
        socket.send({ id: 'e', type: 'subscribe', payload: { query: 'query A { me { id } }', operationName: '' } });
        socket.send({ id: 'm', type: 'subscribe', payload: { query: 'query A { me { id } } query B { me { name } }' } });
        expect((await socket.waitMessage((m) => m.id === 'e', 'error for ""')).payload).toEqual([{ message: 'Unknown operation named "".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
        expect((await socket.waitMessage((m) => m.id === 'm', 'error for two operations')).payload).toEqual([
          { message: 'Must provide operation name if query contains multiple operations.', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } },
        ]);
      } finally {
        socket.ws.close();
      }
    });

    it('in a batch entry, next to an entry that runs', async () => {
      for (const [executor, gateway] of both()) {
        const res = await postGraphQL(gateway.url, [
          { query: 'query A { me { id } }', operationName: 'B' },
          { query: 'query A { me { id } }', operationName: 'A' },
        ]);
        expect({ executor, body: res.body }).toEqual({
          executor,
          body: [{ errors: [{ message: 'Unknown operation named "B".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] }, { data: { me: { id: '1' } } }],
        });
      }
    });
  });

  describe('deeply nested request values → 400 BAD_REQUEST, never a stack overflow', () => {
    it('variables 50,000 levels deep in JSON', async () => {
      const body = `{"query":"query ($v: String) { me { id } }","variables":${deepJson(50_000)}}`;
      expect(body.length).toBeGreaterThan(300_000);
      for (const [executor, gateway] of both()) {
        const res = await postGraphQL(gateway.url, body);
        expect({ executor, status: res.status, code: res.body.errors[0].extensions.code }).toEqual({ executor, status: 400, code: 'BAD_REQUEST' });
        expect(res.body.errors[0].message).toBe('Expected "variables" to nest at most 64 levels of objects and arrays; it is nested too deeply.');
        expect(res.text).not.toMatch(NO_STACK);
      }
    });

    it('extensions past the limit are refused; variables at the limit (64 levels) are accepted', async () => {
      const tooDeep = await postGraphQL(roam.url, `{"query":"{ me { id } }","extensions":${deepJson(65)}}`);
      expect(tooDeep.status).toBe(400);
      expect(tooDeep.body.errors[0]).toEqual({ message: 'Expected "extensions" to nest at most 64 levels of objects and arrays; it is nested too deeply.', extensions: { code: 'BAD_REQUEST' } });
      const atLimit = await postGraphQL(roam.url, `{"query":"{ me { id } }","variables":${deepJson(64)}}`);
      expect(atLimit.status).toBe(200);
      expect(atLimit.body).toEqual({ data: { me: { id: '1' } } });
    });

    it('a MessagePack body 50,000 levels deep', async () => {
      const res = await request(roam.url, { method: 'POST', headers: { 'content-type': 'application/msgpack', accept: 'application/json' }, body: deepMsgpack('{ me { id } }', 50_000) });
      const text = await res.body.text();
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(text).errors[0]).toEqual({ message: 'The MessagePack body is nested too deeply.', extensions: { code: 'BAD_REQUEST' } });
      expect(text).not.toMatch(NO_STACK);
    });

    // Found as a new user: under MAX_TOKENS (5000) a list or object argument nests 4,000 levels, and
    // graphql-js's recursive parser overflowed the stack; the client got `Maximum call stack size exceeded`.
    const deepDocuments: [string, string][] = [
      ['a list value 4,000 levels deep', `{ me(x: ${'['.repeat(4000)}${']'.repeat(4000)}) { id } }`],
      ['an object value 2,400 levels deep', `{ me(x: ${'{a:'.repeat(2400)}1${'}'.repeat(2400)}) { id } }`],
    ];
    it.each(deepDocuments)('a document with %s → 400 GRAPHQL_PARSE_FAILED saying so, over HTTP on both executors', async (_what, query) => {
      for (const [executor, gateway] of both()) {
        const res = await postGraphQL(gateway.url, { query });
        expect({ executor, status: res.status, body: res.body }).toEqual({
          executor,
          status: 400,
          body: { errors: [{ message: 'The document nests values or selections too deeply to parse.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] },
        });
        expect(res.text).not.toMatch(NO_STACK);
      }
      expect((await postGraphQL(roam.url, { query: '{ me { id } }' })).body).toEqual({ data: { me: { id: '1' } } });
    });

    it('the same documents over a WebSocket → an error message, the socket stays usable', async () => {
      const socket = await openAcked(roam.url);
      try {
        for (const [i, [, query]] of deepDocuments.entries()) {
          socket.send({ id: `d${i}`, type: 'subscribe', payload: { query } });
          const error = await socket.waitMessage((m) => m.id === `d${i}`, `error for document ${i}`);
          expect(error).toEqual({ id: `d${i}`, type: 'error', payload: [{ message: 'The document nests values or selections too deeply to parse.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
        }
        socket.send({ id: 'ok', type: 'subscribe', payload: { query: '{ me { id } }' } });
        expect((await socket.waitMessage((m) => m.id === 'ok' && m.type === 'next', 'the next query')).payload).toEqual({ data: { me: { id: '1' } } });
      } finally {
        socket.ws.close();
      }
    });
  });

  describe('introspection at the root', () => {
    const cases: [string, string][] = [
      ['__schema', '{ __schema { queryType { name } } }'],
      ['__type', '{ __type(name: "User") { name kind fields { name } } }'],
      ['mixed with a federated field', '{ me { id } __schema { queryType { name } } }'],
      [
        'aliases, fragments and __typename, in field order',
        'query Q { t: __typename ...Root me { id } s: __schema { mutationType { name } } ... on Query { u: __type(name: "Product") { name } } } fragment Root on Query { __type(name: "Review") { name } }',
      ],
      ['skipped by @include', 'query ($yes: Boolean!) { __schema @include(if: $yes) { queryType { name } } me { id } }'],
    ];
    it.each(cases)('%s: the same answer as EXECUTOR=apollo', async (_name, query) => {
      const body = { query, variables: { yes: false } };
      const [a, b] = await Promise.all([postGraphQL(roam.url, body), postGraphQL(apollo.url, body)]);
      expect(a.status).toBe(200);
      expect(a.body.data).not.toEqual({});
      expect(a.body).toEqual(b.body);
      expect(Object.keys(a.body.data)).toEqual(Object.keys(b.body.data));
    });

    it("a full introspection query gives a schema buildClientSchema accepts, with the supergraph's Query fields", async () => {
      const res = await postGraphQL(roam.url, { query: getIntrospectionQuery() });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const schema = buildClientSchema(res.body.data as IntrospectionQuery);
      const query = schema.getQueryType();
      expect(query && isObjectType(query)).toBe(true);
      expect(Object.keys(query!.getFields())).toEqual(expect.arrayContaining(['me', 'user', 'product', 'topProducts']));
      expect(schema.getType('_Entity')).toBeUndefined(); // the API schema, not the supergraph's
      expect(res.body).toEqual((await postGraphQL(apollo.url, { query: getIntrospectionQuery() })).body);
    });

    it('over a WebSocket query', async () => {
      const socket = await openAcked(roam.url);
      try {
        socket.send({ id: 'i', type: 'subscribe', payload: { query: '{ me { id } __type(name: "User") { name } }' } });
        const next = await socket.waitMessage((m) => m.id === 'i' && m.type === 'next', 'introspection result');
        expect(next.payload).toEqual({ data: { me: { id: '1' }, __type: { name: 'User' } } });
      } finally {
        socket.ws.close();
      }
    });
  });
});

describe('a subgraph reply with a malformed error entry is served, not a 500', () => {
  let subgraphs: SubgraphProcesses;
  let fake: Server;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    // A real HTTP server standing in for accounts whose reply carries `errors: [null]`.
    fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.setHeader('content-type', 'application/json').end('{"data":{"me":{"id":"1"}},"errors":[null]}'));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(fake.address() as { port: number }).port}/graphql`;
    gateway = await startGateway(writeSupergraph(subgraphs.definitions().map((d) => (d.name === 'accounts' ? { ...d, url } : d))), { EXECUTOR: 'roam' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
    await new Promise((resolve) => fake?.close(resolve));
  });

  it('keeps the data and reports one error naming the subgraph (masking of real 500s: formatError unit test)', async () => {
    const res = await postGraphQL(gateway.url, { query: '{ me { id } }' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ me: { id: '1' } });
    expect(res.body.errors).toEqual([{ message: "Subgraph 'accounts' sent a malformed error entry.", extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'accounts' } }]);
    // deliberate errors keep their code and message
    const invalid = await postGraphQL(gateway.url, { query: '{ me { id shoeSize } }' });
    expect(invalid.body.errors[0]).toMatchObject({ message: 'Cannot query field "shoeSize" on type "User".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });
});
