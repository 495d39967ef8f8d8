import { parse, type OperationDefinitionNode } from 'graphql';
import pino from 'pino';
import type { PreparedOperation } from '../../pipeline/OperationPipeline';
import type { OperationResult, RequestInfo } from '../../pipeline/types';
import type { SupergraphSnapshot } from '../../supergraph/SupergraphSnapshot';
import type { ExecutableOperation } from '../../executor/RoamExecutor';
import { Idempotency } from '../Idempotency';
import { MemoryIdempotencyStore } from '../MemoryIdempotencyStore';
import type { IdempotencyStore } from '../IdempotencyStore';

const ADD = parse('mutation Add($body: String!) { addReview(input: { authorId: "1", productUpc: "1", body: $body }) { id } }');
const QUERY = parse('query Me { me { id } }');

interface Send {
  readonly body?: string;
  readonly header?: string;
  readonly extension?: unknown;
  readonly transport?: 'http' | 'ws';
  readonly method?: 'GET' | 'POST';
  readonly inBatch?: boolean;
  readonly clientName?: string;
  readonly query?: boolean;
}

/** A prepared operation as the pipeline hands it to `aroundExecute`. */
function prepared(send: Send): PreparedOperation {
  const document = send.query ? QUERY : ADD;
  const variables = send.query ? {} : { body: send.body ?? 'b' };
  const headers = new Map<string, string>(send.header !== undefined ? [['idempotency-key', send.header]] : []);
  const request: RequestInfo = {
    transport: send.transport ?? 'http',
    method: send.method ?? 'POST',
    headers,
    clientName: send.clientName ?? 'ios',
    clientVersion: undefined,
    inBatch: send.inBatch ?? false,
  };
  const operation = document.definitions[0] as OperationDefinitionNode;
  const op: ExecutableOperation = { document, operation, operationName: operation.name?.value, documentHash: send.query ? 'q' : 'm', variables, coercedVariables: variables };
  const entry = { query: 'text', variables, ...(send.extension !== undefined ? { extensions: { idempotencyKey: send.extension } } : {}) };
  return { ctx: { request, snapshot: {} as SupergraphSnapshot, entry }, op };
}

/** A subgraph stand-in that counts effects per derived key and answers the op's body. */
function subgraph(): { executed: ExecutableOperation[]; run: (op: ExecutableOperation) => Promise<OperationResult> } {
  const executed: ExecutableOperation[] = [];
  return {
    executed,
    run: async (op) => {
      executed.push(op);
      await new Promise((r) => setTimeout(r, 5));
      return { status: 200, headers: new Map([['cache-control', 'no-store']]), body: { data: { addReview: { id: String(executed.length), body: op.variables.body } } } };
    },
  };
}

const http = (result: OperationResult) => ({ status: result.status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(result.body)) });

describe('Idempotency (memory store)', () => {
  let store: IdempotencyStore;
  let idem: Idempotency;
  beforeEach(() => {
    store = new MemoryIdempotencyStore();
    idem = new Idempotency({ store, ttlMs: 60_000, leaseMs: 1000, logger: pino({ level: 'silent' }) });
  });
  afterEach(() => store.close());

  it('a single HTTP operation: executes once with the scoped key; a retry gets the recorded bytes; concurrent duplicates get 409', async () => {
    const s = subgraph();
    const [first, dup] = await Promise.all([idem.aroundExecute(prepared({ header: 'k1' }), s.run), idem.aroundExecute(prepared({ header: 'k1' }), s.run)]);
    expect(s.executed).toHaveLength(1);
    expect(s.executed[0]!.idempotencyKey).toMatch(/^[0-9a-f]{64}$/);
    expect(dup.status).toBe(409);
    expect(dup.headers.get('retry-after')).toBe('1');
    expect(dup.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');
    // not yet recorded: still in progress
    expect((await idem.aroundExecute(prepared({ header: 'k1' }), s.run)).status).toBe(409);
    const stored = http(first);
    await idem.record(first, stored);
    const retry = await idem.aroundExecute(prepared({ header: '"k1"' }), s.run);
    expect(idem.replayOf(retry)).toEqual(stored);
    expect(s.executed).toHaveLength(1);
    expect(idem.counts).toMatchObject({ executed: 1, replayed: 1, inProgress: 2 });
  });

  it('same key, other variables → 422; other client, same key → executes', async () => {
    const s = subgraph();
    const first = await idem.aroundExecute(prepared({ header: 'k', body: 'a' }), s.run);
    await idem.record(first, http(first));
    const other = await idem.aroundExecute(prepared({ header: 'k', body: 'b' }), s.run);
    expect([other.status, other.body.errors?.[0]?.extensions?.code]).toEqual([422, 'IDEMPOTENCY_KEY_MISMATCH']);
    const android = await idem.aroundExecute(prepared({ header: 'k', body: 'b', clientName: 'android' }), s.run);
    expect(android.status).toBe(200);
    expect(s.executed.map((op) => op.variables.body)).toEqual(['a', 'b']);
    expect(s.executed[0]!.idempotencyKey).not.toBe(s.executed[1]!.idempotencyKey);
  });

  it('bad keys → 400 before anything runs (queries too); queries and GET ignore a valid key', async () => {
    const s = subgraph();
    for (const send of [{ header: '' }, { header: 'a b' }, { extension: 5, inBatch: true }, { header: 'x'.repeat(257), query: true }]) {
      const result = await idem.aroundExecute(prepared(send), s.run);
      expect([result.status, result.body.errors?.[0]?.extensions?.code]).toEqual([400, 'IDEMPOTENCY_KEY_INVALID']);
    }
    await idem.aroundExecute(prepared({ header: 'q', query: true }), s.run);
    await idem.aroundExecute(prepared({ header: 'q', query: true }), s.run);
    await idem.aroundExecute(prepared({ header: 'g', method: 'GET' }), s.run);
    expect(s.executed.map((op) => op.idempotencyKey)).toEqual([undefined, undefined, undefined]);
  });

  it('batch and WebSocket entries: keyed by extensions.idempotencyKey, stored as their result, replayed as a parsed result marked in its headers', async () => {
    const s = subgraph();
    for (const transport of ['http', 'ws'] as const) {
      const send = { extension: `e-${transport}`, inBatch: transport === 'http', transport };
      const first = await idem.aroundExecute(prepared(send), s.run);
      const again = await idem.aroundExecute(prepared(send), s.run);
      expect(JSON.stringify(again.body)).toBe(JSON.stringify(first.body));
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(s.executed).toHaveLength(2);
    // the header cannot key a batch's mutation
    const headerOnBatch = await idem.aroundExecute(prepared({ header: 'h', inBatch: true }), s.run);
    expect(headerOnBatch.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
    // header and extension on one single operation must agree
    expect((await idem.aroundExecute(prepared({ header: 'a', extension: 'b' }), s.run)).status).toBe(400);
  });

  it('an execution that throws (a bug) releases the lease: the retry executes', async () => {
    const s = subgraph();
    await expect(idem.aroundExecute(prepared({ header: 'boom' }), () => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
    const retry = await idem.aroundExecute(prepared({ header: 'boom' }), s.run);
    expect(retry.status).toBe(200);
    expect(s.executed).toHaveLength(1);
  });

  it('with waitMs, a duplicate of a running request waits for its response (a replay) instead of 409, but no longer than waitMs', async () => {
    const waiting = new Idempotency({ store, ttlMs: 60_000, leaseMs: 1000, waitMs: 400, logger: pino({ level: 'silent' }) });
    const slow =
      (ms: number) =>
      async (op: ExecutableOperation): Promise<OperationResult> => {
        await new Promise((r) => setTimeout(r, ms));
        return { status: 200, headers: new Map(), body: { data: { addReview: { id: '1', body: op.variables.body } } } };
      };
    const send = { extension: 'w1', transport: 'ws' as const };
    const first = waiting.aroundExecute(prepared(send), slow(100));
    await new Promise((r) => setTimeout(r, 10));
    const duplicate = await waiting.aroundExecute(prepared(send), slow(0));
    expect(duplicate.headers.get('idempotent-replayed')).toBe('true');
    expect(duplicate.body).toEqual((await first).body);
    // a first request slower than the wait: the duplicate still gets 409 once the wait is over
    const slower = waiting.aroundExecute(prepared({ extension: 'w2', transport: 'ws' }), slow(1500));
    await new Promise((r) => setTimeout(r, 10));
    expect((await waiting.aroundExecute(prepared({ extension: 'w2', transport: 'ws' }), slow(0))).status).toBe(409);
    await slower;
  });
});
