import { ConfigError, readConfig } from '../../config';

describe('persisted-query settings', () => {
  it('default to apq on the in-memory store with a 100 ms deadline', () => {
    expect(readConfig({}).persistedQueries).toEqual({ mode: 'apq', redisUrl: undefined, keyPrefix: 'roam:pq:', timeoutMs: 100, cacheSize: 10_000, apqTtlSeconds: 86_400 });
  });
  it('read every variable', () => {
    const c = readConfig({
      PERSISTED_QUERIES: 'safelist',
      REDIS_URL: 'redis+sentinel://s1,s2/main',
      PERSISTED_QUERIES_KEY_PREFIX: 'app:',
      PERSISTED_QUERIES_TIMEOUT_MS: '50',
      PERSISTED_QUERIES_CACHE_SIZE: '5',
      APQ_TTL_SECONDS: '0',
    });
    expect(c.persistedQueries).toEqual({ mode: 'safelist', redisUrl: 'redis+sentinel://s1,s2/main', keyPrefix: 'app:', timeoutMs: 50, cacheSize: 5, apqTtlSeconds: 0 });
  });
  it('name every bad variable at once', () => {
    let error: unknown;
    try {
      readConfig({ PERSISTED_QUERIES: 'on', REDIS_URL: 'http://cache', PERSISTED_QUERIES_TIMEOUT_MS: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/PERSISTED_QUERIES="on"/);
    expect((error as Error).message).toMatch(/REDIS_URL="http:\/\/cache"/);
    expect((error as Error).message).toMatch(/PERSISTED_QUERIES_TIMEOUT_MS="0"/);
  });
});
