import { LIMITS_ENV_VARIABLES, LimitsConfigError, readLimitsSettings } from '../limitsEnv';
import { limitsForClient } from '../OperationLimits';

describe("readLimitsSettings (the gateway's limit variables, for roam-pq)", () => {
  it('has the documented defaults and reads every variable, empty strings as unset', () => {
    expect(readLimitsSettings({ MAX_COST: '' }).defaults).toEqual({
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
    const settings = readLimitsSettings({
      MAX_COST: '50',
      MAX_DEPTH: '4',
      MAX_ALIASES: '2',
      MAX_ROOT_FIELDS: '3',
      MAX_TOKENS: '100',
      MAX_DOCUMENT_BYTES: '500',
      COST_DEFAULT_LIST_SIZE: '7',
      LIMITS_BY_CLIENT: '{"ios":{"maxCost":500}}',
    });
    expect(limitsForClient(settings, undefined)).toMatchObject({ maxCost: 50, maxDepth: 4, maxAliases: 2, maxRootFields: 3, maxTokens: 100, maxDocumentBytes: 500 });
    expect(limitsForClient(settings, 'ios').maxCost).toBe(500);
    expect(settings.defaultListSize).toBe(7);
    expect(LIMITS_ENV_VARIABLES).toContain('LIMITS_BY_CLIENT');
  });

  it('names every bad variable at once', () => {
    expect(() => readLimitsSettings({ MAX_COST: 'lots' })).toThrow(LimitsConfigError);
    expect(() => readLimitsSettings({ MAX_COST: '-1', LIMITS_BY_CLIENT: '{"ios":{"maxCots":5}}' })).toThrow(/MAX_COST="-1"[\s\S]*LIMITS_BY_CLIENT=/);
  });
});
