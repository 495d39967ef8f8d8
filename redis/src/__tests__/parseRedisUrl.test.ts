import { parseRedisUrl } from '../parseRedisUrl';

describe('parseRedisUrl', () => {
  it('reads the standalone form as is', () => {
    expect(parseRedisUrl('redis://:secret@cache.internal:6380/2')).toEqual({ kind: 'standalone', url: 'redis://:secret@cache.internal:6380/2' });
    expect(parseRedisUrl('rediss://cache.internal')).toEqual({ kind: 'standalone', url: 'rediss://cache.internal' });
  });
  it('reads the Sentinel form: sentinels, master name, database, credentials', () => {
    expect(parseRedisUrl('redis+sentinel://user:p%40ss@s1:26379,s2,[::1]:26380/mymaster/3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'mymaster',
      db: 3,
      tls: false,
      username: 'user',
      password: 'p@ss',
    });
  });
  it('reads the Cluster form', () => {
    expect(parseRedisUrl('rediss+cluster://:pw@n1:7000,n2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      tls: true,
      password: 'pw',
    });
  });
  it('refuses other forms without echoing credentials', () => {
    expect(() => parseRedisUrl('http://x')).toThrow(/redis:\/\/host:port/);
    expect(() => parseRedisUrl('redis+sentinel://s1,s2')).toThrow(/must name the master/);
    expect(() => parseRedisUrl('redis://:secret@a,b')).toThrow(/redis\+cluster/);
    expect(() => parseRedisUrl('redis://:secret@a,b')).not.toThrow(/secret/);
    expect(() => parseRedisUrl('redis+cluster://a/1')).toThrow(/no databases/);
    // a port that is not a number: a clear error here, not ioredis's or new URL()'s TypeError carrying the password
    expect(() => parseRedisUrl('redis://:secret@127.0.0.1:abc')).toThrow(/not a valid URL/);
    expect(() => parseRedisUrl('redis://:secret@127.0.0.1:abc')).not.toThrow(/secret/);
  });
});
