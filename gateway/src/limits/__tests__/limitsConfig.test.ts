import { ConfigError, readConfig } from '../../config';
import { largestBodyLimit, limitsForClient } from '@roam/operation-limits';

describe('limits configuration (config.ts)', () => {
  it('has the documented defaults', () => {
    const { limits } = readConfig({});
    expect(limits.defaults).toEqual({
      maxCost: 1_000_000,
      maxDepth: 15,
      maxAliases: 30,
      maxRootFields: 20,
      maxTokens: 5000,
      maxDocumentBytes: 65_536,
      maxBatchSize: 20,
      maxBodyBytes: 1_048_576,
      mode: 'enforce',
    });
    expect(limits.byClient).toEqual({});
    expect(limits.defaultListSize).toBe(10);
  });

  it('reads every limit and per-client overrides from LIMITS_BY_CLIENT', () => {
    const { limits } = readConfig({
      MAX_COST: '50',
      MAX_DEPTH: '4',
      MAX_ALIASES: '2',
      MAX_ROOT_FIELDS: '3',
      MAX_TOKENS: '100',
      MAX_DOCUMENT_BYTES: '500',
      MAX_BATCH_SIZE: '2',
      LIMITS_MODE: 'measure',
      COST_DEFAULT_LIST_SIZE: '7',
      LIMITS_BY_CLIENT: '{"ios":{"maxCost":500,"mode":"enforce"},"big":{"maxBodyBytes":4194304}}',
    });
    expect(limitsForClient(limits, undefined)).toMatchObject({ maxCost: 50, maxDepth: 4, maxAliases: 2, maxRootFields: 3, maxTokens: 100, maxDocumentBytes: 500, maxBatchSize: 2, mode: 'measure' });
    expect(limitsForClient(limits, 'ios')).toMatchObject({ maxCost: 500, maxDepth: 4, mode: 'enforce' });
    expect(limitsForClient(limits, 'toString')).toMatchObject({ maxCost: 50 });
    expect(largestBodyLimit(limits)).toBe(4_194_304);
    expect(limits.defaultListSize).toBe(7);
  });

  it('rejects bad JSON, unknown keys and bad values, naming the variable', () => {
    expect(() => readConfig({ LIMITS_BY_CLIENT: '{nope' })).toThrow(/LIMITS_BY_CLIENT=.*expected a JSON object/);
    expect(() => readConfig({ LIMITS_BY_CLIENT: '{"ios":{"maxCots":5}}' })).toThrow(ConfigError);
    expect(() => readConfig({ LIMITS_BY_CLIENT: '{"ios":{"maxCost":-1}}' })).toThrow(/LIMITS_BY_CLIENT=.*ios\.maxCost/);
    expect(() => readConfig({ LIMITS_MODE: 'block' })).toThrow(/LIMITS_MODE/);
    expect(() => readConfig({ MAX_DEPTH: '0' })).toThrow(/MAX_DEPTH/);
  });
});
