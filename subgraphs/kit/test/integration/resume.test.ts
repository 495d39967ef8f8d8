import { parse } from 'graphql';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from '@roam/testkit';
import { createSubgraphServer, type SubgraphServer } from '../../src/createSubgraphServer';
import { InMemoryPubSub } from '../../src/pubsub/InMemoryPubSub';
import { eventIterator, resumableEvents } from '../../src/pubsub/eventIterator';
import { resumeRequestOf } from '../../src/pubsub/resumeRequest';

// A subgraph built with the kit serves resume (issue 17) the same way with the in-memory log as with Redis:
// extensions.eventId on every event of a log-backed field, replay after extensions.lastEventId, refusals as
// catalogue codes, and SUBSCRIPTION_RESUME_UNSUPPORTED for a field that does not read the resume request.
const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query { ok: Boolean }
  type Ping { n: Int! }
  type Subscription { pinged: Ping! unresumable: Ping! }
`);

describe('resume on a kit subgraph (in-memory event log)', () => {
  let server: SubgraphServer;
  let url: string;
  let ws: Client;
  const pubsub = new InMemoryPubSub({ maxCount: 5, maxAgeMs: 60_000 });

  beforeAll(async () => {
    server = createSubgraphServer({
      name: 'pings',
      typeDefs,
      createContext: () => ({}),
      resolvers: {
        Query: { ok: () => true },
        Subscription: {
          pinged: { subscribe: (_r: unknown, _a: unknown, context: unknown) => resumableEvents(pubsub, 'pings:PINGED', () => true, resumeRequestOf(context)), resolve: (p: unknown) => p },
          unresumable: { subscribe: () => eventIterator(pubsub, 'pings:PINGED'), resolve: (p: unknown) => p },
        },
      } as never,
    });
    url = (await server.listen(0)).replace(/^http/, 'ws');
    ws = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  });
  afterAll(async () => {
    await ws?.dispose();
    await server?.close();
  });

  function subscribe(query: string, lastEventId?: string): { results: FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>[]; done: Promise<unknown>; stop: () => void } {
    const results: FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>[] = [];
    let stop!: () => void;
    const done = new Promise((resolve) => {
      stop = ws.subscribe<Record<string, unknown>, Record<string, unknown>>(
        { query, ...(lastEventId ? { extensions: { lastEventId } } : {}) },
        { next: (r) => results.push(r), error: resolve, complete: () => resolve('complete') },
      );
    });
    return { results, done, stop };
  }
  const ping = async (n: number): Promise<void> => {
    await pubsub.publish('pings:PINGED', { n });
  };

  it('tags events with their id and replays after a resume id, then goes live', async () => {
    const first = subscribe('subscription { pinged { n } }');
    await waitFor(() => server.subscriptionCounts().active === 1, 'the subscription');
    await ping(1);
    await ping(2);
    await waitFor(() => first.results.length === 2, 'two events');
    first.stop();
    const lastId = first.results[0]!.extensions!.eventId as string;
    expect(lastId).toMatch(/^pings:PINGED@\d+-\d+$/);
    await ping(3);
    const resumed = subscribe('subscription { pinged { n } }', lastId);
    await waitFor(() => resumed.results.length === 2, 'the two events after the first');
    await ping(4);
    await waitFor(() => resumed.results.length === 3, 'a live event');
    expect(resumed.results.map((r) => (r.data as { pinged: { n: number } }).pinged.n)).toEqual([2, 3, 4]);
    resumed.stop();
  });

  it('answers refused resumes with one result carrying the code (the gateway turns it into an error message)', async () => {
    const codeOf = async (query: string, lastEventId: string): Promise<unknown> => {
      const s = subscribe(query, lastEventId);
      expect(await s.done).toBe('complete');
      expect(s.results).toHaveLength(1);
      expect(s.results[0]!.data ?? null).toBeNull();
      return s.results[0]!.errors?.[0]?.extensions?.code;
    };
    for (let n = 0; n < 6; n++) await ping(10 + n);
    const [old] = (await new Promise<string[]>((resolve) => {
      const ids: string[] = [];
      void pubsub
        .subscribe('pings:PINGED', (_p, id) => ids.push(id))
        .then(async (stop) => {
          await ping(99);
          await waitFor(() => ids.length === 1, 'one id');
          await stop();
          resolve(ids);
        });
    })) as [string];
    const [stream, position] = old.split('@') as [string, string];
    expect(await codeOf('subscription { pinged { n } }', `${stream}@1-0`)).toBe('SUBSCRIPTION_RESUME_GAP');
    expect(await codeOf('subscription { pinged { n } }', `other:STREAM@${position}`)).toBe('SUBSCRIPTION_RESUME_INVALID');
    expect(await codeOf('subscription { pinged { n } }', `${stream}@${Number(position.split('-')[0]) + 60_000}-0`)).toBe('SUBSCRIPTION_RESUME_INVALID');
    expect(await codeOf('subscription { pinged { n } }', 'garbage')).toBe('SUBSCRIPTION_RESUME_INVALID');
    expect(await codeOf('subscription { unresumable { n } }', old)).toBe('SUBSCRIPTION_RESUME_UNSUPPORTED');
    await waitFor(() => server.subscriptionCounts().active === 0, 'nothing left running');
  });
});

describe('the in-memory event log after a restart', () => {
  it('a stream this process never wrote is a gap (as a missing Redis key is), not an id from the future', async () => {
    const fresh = new InMemoryPubSub({ maxCount: 5, maxAgeMs: 60_000 });
    await expect(fresh.subscribe('pings:PINGED', () => undefined, { after: `pings:PINGED@${Date.now()}-0` })).rejects.toMatchObject({
      extensions: { code: 'SUBSCRIPTION_RESUME_GAP' },
    });
    // once written, an id beyond its newest event is from the future
    await fresh.publish('pings:PINGED', { n: 1 });
    await expect(fresh.subscribe('pings:PINGED', () => undefined, { after: `pings:PINGED@${Date.now() + 60_000}-0` })).rejects.toMatchObject({
      extensions: { code: 'SUBSCRIPTION_RESUME_INVALID' },
    });
  });
});
