import { readSubgraphConfig } from '../subgraphConfig';

describe('readSubgraphConfig', () => {
  it('an empty PORT is unset: the registry port, not 0 (a random port)', () => {
    expect(readSubgraphConfig(4004, { PORT: '' }, []).port).toBe(4004);
    expect(readSubgraphConfig(4004, {}, []).port).toBe(4004);
    expect(readSubgraphConfig(4004, { PORT: '' }, ['--port', '4100']).port).toBe(4100);
  });

  it('a value of only whitespace is refused, naming the variable', () => {
    expect(() => readSubgraphConfig(4004, { PORT: ' ', EVENT_RETENTION_COUNT: '\t' }, [])).toThrow(
      /PORT: only whitespace; give a value, or leave it empty for the default \(got " "\)\n\s+EVENT_RETENTION_COUNT: only whitespace/,
    );
  });
});
