import { readSubgraphConfig } from '../subgraphConfig';

describe('readSubgraphConfig', () => {
  it('an empty PORT is unset: the registry port, not 0 (a random port)', () => {
    expect(readSubgraphConfig(4004, { PORT: '' }, []).port).toBe(4004);
    expect(readSubgraphConfig(4004, {}, []).port).toBe(4004);
    expect(readSubgraphConfig(4004, { PORT: '' }, ['--port', '4100']).port).toBe(4100);
  });

  it('a --port or --dataset flag without a value is refused (it fell through to PORT or the default)', () => {
    expect(() => readSubgraphConfig(4004, { PORT: '4100' }, ['--port'])).toThrow(/--port: needs a value/);
    expect(() => readSubgraphConfig(4004, {}, ['--port', '--dataset', 'large'])).toThrow(/--port: needs a value/);
    expect(() => readSubgraphConfig(4004, {}, ['--dataset'])).toThrow(/--dataset: needs a value/);
    expect(readSubgraphConfig(4004, {}, ['--dataset', 'large', '--port', '4100'])).toMatchObject({ dataset: 'large', port: 4100 });
  });

  it('a value of only whitespace is refused, naming the variable', () => {
    expect(() => readSubgraphConfig(4004, { PORT: ' ', EVENT_RETENTION_COUNT: '\t' }, [])).toThrow(
      /PORT: only whitespace; give a value, or leave it empty for the default \(got " "\)\n\s+EVENT_RETENTION_COUNT: only whitespace/,
    );
  });
});
