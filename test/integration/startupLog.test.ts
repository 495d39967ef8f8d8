import { Writable } from 'node:stream';
import pino from 'pino';
import { createGateway, readConfig } from '@roam/gateway';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { writeSupergraph } from '../support/stack';

// Issue 15 rough edge: the start-up log says which persisted-query mode, limits mode and stores are in effect.
describe('start-up log', () => {
  let subgraphs: InProcessSubgraphs;
  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
  });
  afterAll(() => subgraphs?.close());

  it.each([
    [{}, { persistedQueries: 'apq', store: 'memory', limits: 'enforce', executor: 'roam' }],
    [
      { PERSISTED_QUERIES: 'off', LIMITS_MODE: 'measure' },
      { persistedQueries: 'off', store: 'memory', limits: 'measure', executor: 'roam' },
    ],
  ])('with %j it logs %j once the gateway listens', async (env, expected) => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const config = readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'info', ...env });
    const gateway = createGateway(config, pino({ level: 'info' }, sink));
    try {
      await gateway.listen();
      const settings = lines.filter((l) => l.msg === 'gateway settings in effect');
      expect(settings).toHaveLength(1);
      expect(settings[0]).toMatchObject(expected);
    } finally {
      await gateway.close();
    }
  });

  // Found as a new user: a SUBGRAPH_POLICIES key that names no subgraph (a typo) was accepted and did nothing.
  it.each([
    ['{"inventroy":{"timeoutMs":800},"*":{"maxMergedFetches":4},"reviews":{"retry":{"maxRetries":0}}}', ['inventroy']],
    ['{"*":{"maxMergedFetches":1},"inventory":{"timeoutMs":800}}', []],
  ])('SUBGRAPH_POLICIES=%s: a warning names the keys that are not subgraphs of the supergraph: %j', async (policies, unknown) => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const config = readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'info', SUBGRAPH_POLICIES: policies });
    const gateway = createGateway(config, pino({ level: 'info' }, sink));
    try {
      await gateway.listen();
      const warnings = lines.filter((l) => String(l.msg).startsWith('SUBGRAPH_POLICIES names'));
      if (unknown.length === 0) return expect(warnings).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 40, unknown, msg: 'SUBGRAPH_POLICIES names "inventroy", not a subgraph of this supergraph: that policy applies to nothing' });
      expect(warnings[0]!.subgraphs).toEqual(expect.arrayContaining(['inventory', 'reviews']));
    } finally {
      await gateway.close();
    }
  });
});
