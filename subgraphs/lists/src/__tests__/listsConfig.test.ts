import { readListsConfig } from '../listsConfig';

describe('readListsConfig', () => {
  it('defaults to embedded PGlite in memory, 60 s of clock drift and user 1', () => {
    expect(readListsConfig({})).toEqual({ databaseUrl: undefined, pgliteDir: undefined, maxClockDriftMs: 60_000, userId: '1' });
  });

  it('reads every variable', () => {
    expect(readListsConfig({ LISTS_DATABASE_URL: 'postgres://u@h:5432/d', LISTS_PGLITE_DIR: '/tmp/x', LISTS_MAX_CLOCK_DRIFT_MS: '5000', LISTS_USER_ID: '7' })).toEqual({
      databaseUrl: 'postgres://u@h:5432/d',
      pgliteDir: '/tmp/x',
      maxClockDriftMs: 5000,
      userId: '7',
    });
  });

  it('names every invalid variable', () => {
    expect(() => readListsConfig({ LISTS_DATABASE_URL: 'mysql://x', LISTS_MAX_CLOCK_DRIFT_MS: 'soon' })).toThrow(
      /LISTS_DATABASE_URL[\s\S]*LISTS_MAX_CLOCK_DRIFT_MS|LISTS_MAX_CLOCK_DRIFT_MS[\s\S]*LISTS_DATABASE_URL/,
    );
  });
});
