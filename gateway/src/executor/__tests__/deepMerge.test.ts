import { deepMerge } from '../executePlan';

describe('deepMerge', () => {
  it('merges nested objects key by key and lists element by element, in place', () => {
    const target: Record<string, unknown> = { a: { x: 1 }, list: [{ id: 1 }, { id: 2 }], keep: true };
    deepMerge(target, { a: { y: 2 }, list: [{ n: 'one' }, { n: 'two' }], added: 'z' });
    expect(target).toEqual({
      a: { x: 1, y: 2 },
      list: [
        { id: 1, n: 'one' },
        { id: 2, n: 'two' },
      ],
      keep: true,
      added: 'z',
    });
  });

  it('replaces scalars and nulls, ignores undefined, and is idempotent for shared objects', () => {
    const shared = { id: 1 };
    const target: Record<string, unknown> = { s: 1, n: { v: 1 }, o: shared };
    deepMerge(target, { s: 2, n: null, u: undefined, o: shared });
    expect(target).toEqual({ s: 2, n: null, o: { id: 1 } });
    expect('u' in target).toBe(false);
  });

  it('a `__proto__` key of a subgraph reply (own, as JSON.parse makes it) becomes an own key of the target, merged as any other; Object.prototype and the target prototype stay as they were', () => {
    const target: Record<string, unknown> = { upc: '1' };
    deepMerge(target, JSON.parse('{"__proto__":{"polluted":1,"list":[1]}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.keys(target)).toEqual(['upc', '__proto__']);
    deepMerge(target, JSON.parse('{"__proto__":{"more":2}}'));
    expect(JSON.stringify(target)).toBe('{"upc":"1","__proto__":{"polluted":1,"list":[1],"more":2}}');
    deepMerge(target, JSON.parse('{"__proto__":"scalar"}'));
    expect(JSON.stringify(target)).toBe('{"upc":"1","__proto__":"scalar"}');
    expect(Object.prototype).not.toHaveProperty('more');
  });
});
