import { createSubgraphServer, type SubgraphServer } from '@roam/subgraph-kit';
import { parse } from 'graphql';
import pino from 'pino';
import { composeSupergraph } from '../../compose/composeSupergraph';
import { RoamExecutor } from '../../executor/RoamExecutor';
import { SupergraphSnapshot } from '../../supergraph/SupergraphSnapshot';
import { Upstreams } from '../../upstream/Upstreams';
import { OperationPipeline } from '../OperationPipeline';
import { runBatch } from '../runBatch';
import type { PipelinePlugin, RequestInfo } from '../types';

// A real subgraph on a local schema behind the real pipeline and executor: resolvers record the order in which fields run.
const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])
type Query { read(n: Int!): Int }
type Mutation { write(n: Int!): Int }`;

describe('runBatch', () => {
  const ran: string[] = [];
  const logger = pino({ level: 'silent' });
  let server: SubgraphServer;
  let upstreams: Upstreams;
  let pipeline: OperationPipeline;
  // A plugin that holds entry 1 back, as a slow persisted-query lookup would.
  const slowFirst: PipelinePlugin = {
    name: 'slow-first',
    async resolveDocument({ entry }) {
      if ((entry.variables as { n?: number } | undefined)?.n === 1) await new Promise((resolve) => setTimeout(resolve, 100));
    },
  };
  const info: RequestInfo = { transport: 'http', method: 'POST', headers: new Map([['content-type', 'application/json']]), clientName: undefined, clientVersion: undefined, inBatch: true };
  const write = (n: number) => ({ query: 'mutation W($n: Int!) { write(n: $n) }', variables: { n } });
  const read = (n: number) => ({ query: 'query R($n: Int!) { read(n: $n) }', variables: { n } });

  beforeAll(async () => {
    server = createSubgraphServer({
      name: 'local',
      typeDefs: parse(SDL),
      resolvers: {
        Query: { read: (_: unknown, { n }: { n: number }) => (ran.push(`read ${n}`), n) },
        Mutation: { write: (_: unknown, { n }: { n: number }) => (ran.push(`write ${n}`), n) },
      } as never,
      createContext: () => ({}),
    });
    const url = await server.listen(0, '127.0.0.1');
    const snapshot = new SupergraphSnapshot(composeSupergraph([{ name: 'local', url, sdl: SDL }]), 1);
    upstreams = new Upstreams({ timeoutMs: 5000, keepAliveMs: 0, logger });
    pipeline = new OperationPipeline({ snapshot: () => snapshot, plugins: [slowFirst], executor: new RoamExecutor({ upstreams, logger }), logger });
  });
  afterAll(async () => {
    await upstreams.close();
    await server.close();
  });
  beforeEach(() => (ran.length = 0));

  it('runs mutations in the order sent, even when an earlier one is slower to resolve', async () => {
    const outcomes = await runBatch(pipeline, [write(1), write(2), write(3)], info);
    expect(outcomes.map((o) => o.body)).toEqual([{ data: { write: 1 } }, { data: { write: 2 } }, { data: { write: 3 } }]);
    expect(ran).toEqual(['write 1', 'write 2', 'write 3']);
  });

  it('lets queries run without waiting for the mutations before them', async () => {
    await runBatch(pipeline, [write(1), read(2)], info);
    expect(ran).toEqual(['read 2', 'write 1']);
  });

  it('gives a bad entry its own result and keeps the order', async () => {
    const outcomes = await runBatch(pipeline, [read(5), 'nope', { query: '{ missing }' }, write(6)], info);
    const bodies = outcomes.map((o) => o.body as { data?: unknown; errors?: { extensions: { code: string } }[] });
    expect(bodies[0]).toEqual({ data: { read: 5 } });
    expect(bodies[1]!.errors![0]!.extensions.code).toBe('BAD_REQUEST');
    expect(bodies[2]!.errors![0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(bodies[3]).toEqual({ data: { write: 6 } });
  });
});
