import { redisKeys } from '../store/redisKeys';

describe('redisKeys', () => {
  it('puts every key under the prefix and wraps it in a hash tag for Cluster', () => {
    const k = redisKeys('roam:pq:');
    expect([k.operation('x'), k.operationClients('x'), k.operations(), k.scopes(), k.scope('*'), k.automatic('x'), k.revocationChannel()].every((key) => key.startsWith('roam:pq:'))).toBe(true);
    expect(redisKeys('roam:pq:', true).operation('x')).toBe('{roam:pq:}op:x');
    expect(redisKeys('{app}:pq:', true).operation('x')).toBe('{app}:pq:op:x');
    expect(() => redisKeys('')).toThrow(/must not be empty/);
  });
});
