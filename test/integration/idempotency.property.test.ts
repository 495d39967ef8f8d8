import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { parse, type OperationDefinitionNode } from 'graphql';
import pino from 'pino';
import { Idempotency, RedisIdempotencyStore, type OperationResult, type PreparedOperation, type SupergraphSnapshot } from '@roam/gateway';
import { InMemoryReviewRepository } from '@roam/subgraph-reviews/dist/repository';
import { startRedis, type TestRedis } from '@roam/testkit';

// Issue 12: a property over random interleavings of sends, retries, replica crashes and key reuse, against a real
// Redis shared by two replicas (each its own connection and Idempotency layer), with the reviews subgraph's own
// repository as the effect (deduplicating on the derived key, as addReview does): never a duplicate effect,
// never a lost acknowledged mutation.
const ADD = parse('mutation Add($body: String!) { addReview(input: { authorId: "1", productUpc: "1", body: $body }) { id } }');
const OPERATION = ADD.definitions[0] as OperationDefinitionNode;
const LEASE_MS = 150;
const silent = pino({ level: 'silent' });

type Crash = 'none' | 'beforeEffect' | 'afterEffect' | 'afterStore';
type Command = { readonly kind: 'send'; readonly action: number; readonly replica: number; readonly crash: Crash } | { readonly kind: 'reuse'; readonly action: number; readonly replica: number };
type Outcome = { readonly kind: 'ack'; readonly id: string } | { readonly kind: 'lost' | 'busy' | 'mismatch' | 'unavailable' | 'other'; readonly status?: number };

function prepared(key: string, body: string): PreparedOperation {
  const variables = { body };
  return {
    ctx: {
      request: { transport: 'http', method: 'POST', headers: new Map([['idempotency-key', key]]), clientName: 'ios', clientVersion: undefined, inBatch: false },
      snapshot: {} as SupergraphSnapshot,
      entry: { query: 'text', variables },
    },
    op: { document: ADD, operation: OPERATION, operationName: 'Add', documentHash: 'add', variables, coercedVariables: variables },
  };
}

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('send' as const), action: fc.nat(2), replica: fc.nat(1), crash: fc.constantFrom<Crash>('none', 'none', 'beforeEffect', 'afterEffect', 'afterStore') }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuse' as const), action: fc.nat(2), replica: fc.nat(1) }) },
);

describe('idempotency: random interleavings of sends, retries, replica crashes and key reuse (fast-check, real Redis)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('never a duplicate effect, never a lost acknowledged mutation', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 3, maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 10, maxLength: 10 }), async (commands, groupSizes) => {
        const prefix = `${redis.prefix}run${run++}:`;
        const repository = new InMemoryReviewRepository([]);
        const actions = [0, 1, 2].map((i) => ({ key: randomUUID(), body: `${prefix}action${i}` }));
        const open: RedisIdempotencyStore[] = [];
        const replica = () => {
          const store = new RedisIdempotencyStore({ url: redis.url, prefix, timeoutMs: 1000 });
          open.push(store);
          return { store, idem: new Idempotency({ store, ttlMs: 60_000, leaseMs: LEASE_MS, logger: silent }), dead: false };
        };
        const replicas = [replica(), replica()];
        await Promise.all(replicas.map((r) => r.store.waitUntilReady(5000)));
        /** The replica process `instance` (in slot `i`) dies; a process dies once, whatever else it was running. */
        const crash = async (i: number, instance: ReturnType<typeof replica>): Promise<void> => {
          if (instance.dead) return;
          instance.dead = true;
          const next = replica(); // the orchestrator restarts it
          replicas[i] = next;
          await instance.store.close(); // the process is gone: its connection closes, it renews nothing
          await next.store.waitUntilReady(5000);
        };

        const send = async (r: number, key: string, body: string, crashAt: Crash): Promise<Outcome> => {
          const instance = replicas[r]!;
          const { idem } = instance;
          let lost!: (o: Outcome) => void;
          const lostOutcome = new Promise<Outcome>((resolve) => (lost = resolve));
          const hang = async (): Promise<never> => {
            await crash(r, instance);
            lost({ kind: 'lost' });
            return new Promise<never>(() => undefined);
          };
          const answered = idem.aroundExecute(prepared(key, body), async (op): Promise<OperationResult> => {
            if (crashAt === 'beforeEffect') return hang();
            const { row } = await repository.insertOnce(`${op.idempotencyKey}:0`, { authorId: '1', productUpc: '1', body });
            if (crashAt === 'afterEffect') return hang();
            return { status: 200, headers: new Map([['cache-control', 'no-store']]), body: { data: { addReview: { id: row.id } } } };
          });
          const result = await Promise.race([answered, lostOutcome]);
          if ('kind' in result) return result;
          const replay = idem.replayOf(result);
          if (replay) return { kind: 'ack', id: (JSON.parse(replay.body.toString()) as { data: { addReview: { id: string } } }).data.addReview.id };
          if (result.status === 200) {
            await idem.record(result, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(result.body)) });
            if (crashAt === 'afterStore') {
              await crash(r, instance);
              return { kind: 'lost' };
            }
            return { kind: 'ack', id: (result.body.data as { addReview: { id: string } }).addReview.id };
          }
          const kind = result.status === 409 ? 'busy' : result.status === 422 ? 'mismatch' : result.status === 503 ? 'unavailable' : 'other';
          return { kind, status: result.status };
        };

        const acks = actions.map(() => [] as string[]);
        const sent = actions.map(() => false);
        const reused: string[] = [];
        const unexpected: string[] = [];
        let i = 0;
        for (const size of groupSizes) {
          const group = commands.slice(i, i + size);
          i += size;
          if (group.length === 0) break;
          await Promise.all(
            group.map(async (c) => {
              const action = actions[c.action]!;
              if (c.kind === 'send') {
                sent[c.action] = true;
                const outcome = await send(c.replica, action.key, action.body, c.crash);
                if (outcome.kind === 'ack') acks[c.action]!.push(outcome.id);
                else if (outcome.kind === 'mismatch' || outcome.kind === 'other') unexpected.push(`send ${c.action}: ${outcome.kind} ${outcome.status}`);
              } else if (acks[c.action]!.length > 0) {
                // the key of an acknowledged action, reused for another request
                const body = `${action.body}-reused`;
                reused.push(body);
                const outcome = await send(c.replica, action.key, body, 'none');
                if (outcome.kind !== 'mismatch') unexpected.push(`reuse ${c.action}: ${outcome.kind}`);
              }
            }),
          );
        }
        // the client keeps retrying every action it started, with backoff, until it gets an answer
        for (const [a, action] of actions.entries()) {
          if (!sent[a]) continue;
          for (let attempt = 0; ; attempt++) {
            const outcome = await send(0, action.key, action.body, 'none');
            if (outcome.kind === 'ack') {
              acks[a]!.push(outcome.id);
              break;
            }
            if (attempt > 40) throw new Error(`action ${a} never answered: ${outcome.kind}`);
            await new Promise((r) => setTimeout(r, LEASE_MS / 3));
          }
        }
        const rows = (await repository.findByProductUpcs(['1']))[0]!;
        await Promise.all(open.map((s) => s.close()));
        expect(unexpected).toEqual([]);
        for (const [a, action] of actions.entries()) {
          const effects = rows.filter((r) => r.body === action.body).map((r) => r.id);
          expect({ action: a, effects: effects.length }).toEqual({ action: a, effects: sent[a] ? 1 : 0 });
          // every acknowledgement of the action names its one effect
          for (const id of acks[a]!) expect({ action: a, id }).toEqual({ action: a, id: effects[0] });
        }
        for (const body of reused) expect(rows.filter((r) => r.body === body)).toEqual([]);
      }),
      { numRuns: 12, endOnFailure: true },
    );
  });
});
