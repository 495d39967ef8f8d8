import { REDIS_NAMESPACES } from '../redisNamespaces';
import { redisKeyspace } from '../redisKeyspace';

describe('redisKeyspace', () => {
  it('requires a non-empty prefix and starts every name with it', () => {
    expect(() => redisKeyspace('')).toThrow(/must not be empty/);
    const root = redisKeyspace('roam:');
    expect(root.prefix).toBe('roam:');
    expect(root.key('ops')).toBe('roam:ops');
    expect(root.key('op', 'abc', 'clients')).toBe('roam:op:abc:clients');
    expect(() => root.key()).toThrow(/at least one part/);
  });

  it('gives each user a namespace under the prefix, and namespaces of different prefixes never meet', () => {
    const root = redisKeyspace('roam:');
    expect(root.namespace('pq').key('op', 'x')).toBe('roam:pq:op:x');
    expect(root.namespace('events').key('REVIEW_ADDED')).toBe('roam:events:REVIEW_ADDED');
    expect(redisKeyspace('roam:').namespace('events').key('a')).not.toBe(redisKeyspace('roam:other:').namespace('events').key('a'));
    const names = REDIS_NAMESPACES.map((n) => root.namespace(n).prefix);
    expect(new Set(names).size).toBe(REDIS_NAMESPACES.length);
    for (const a of names) for (const b of names) if (a !== b) expect(a.startsWith(b)).toBe(false);
  });

  it('wraps the prefix in one Cluster hash tag when asked, keeps a tag the prefix already has', () => {
    expect(redisKeyspace('roam:pq:', { hashTag: true }).key('op', 'x')).toBe('{roam:pq:}op:x');
    expect(redisKeyspace('{app}:pq:', { hashTag: true }).key('op', 'x')).toBe('{app}:pq:op:x');
    expect(redisKeyspace('roam:').namespace('pq', { hashTag: true }).key('ops')).toBe('{roam:pq:}ops');
    expect(redisKeyspace('roam:', { hashTag: true }).namespace('cache').key('k')).toBe('roam:cache:k');
    expect(redisKeyspace('roam:pq:').key('op', 'x')).toBe('roam:pq:op:x');
  });

  it('puts every key of a hash-tagged keyspace in the same Cluster slot (CRC16 of the tag)', () => {
    const ks = redisKeyspace('roam:pq:', { hashTag: true });
    // Redis Cluster spec: only the part between the first "{" and the next "}" is hashed
    const tag = (key: string): string => {
      const open = key.indexOf('{');
      const close = key.indexOf('}', open + 1);
      return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
    };
    const keys = [ks.key('op', 'a'), ks.key('op', 'b', 'clients'), ks.key('ops'), ks.key('scope', '["ios","1"]'), ks.key('apq', '{x}')];
    expect(new Set(keys.map(tag))).toEqual(new Set(['roam:pq:']));
  });
});
