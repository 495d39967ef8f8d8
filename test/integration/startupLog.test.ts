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
});
