import { InflightCoalescer } from '../InflightCoalescer';

describe('InflightCoalescer', () => {
  it('runs identical concurrent calls once and gives every caller the same value', async () => {
    const c = new InflightCoalescer<number>();
    let runs = 0;
    let release!: (v: number) => void;
    const start = () => {
      runs++;
      return new Promise<number>((r) => (release = r));
    };
    const all = Promise.all([c.run('a', start), c.run('a', start), c.run('a', start)]);
    release(7);
    expect(await all).toEqual([7, 7, 7]);
    expect(runs).toBe(1);
    expect(c.joined).toBe(2);
  });

  it('keeps different keys apart and forgets a key once its call settled', async () => {
    const c = new InflightCoalescer<string>();
    let runs = 0;
    const start = (v: string) => () => {
      runs++;
      return Promise.resolve(v);
    };
    expect(await Promise.all([c.run('a', start('A')), c.run('b', start('B'))])).toEqual(['A', 'B']);
    expect(await c.run('a', start('A2'))).toBe('A2');
    expect(runs).toBe(3);
    expect(c.size).toBe(0);
  });

  it('passes a rejection to every joined caller and does not keep it', async () => {
    const c = new InflightCoalescer<number>();
    const failing = () => Promise.reject(new Error('boom'));
    const results = await Promise.allSettled([c.run('k', failing), c.run('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await c.run('k', () => Promise.resolve(1))).toBe(1);
  });
});
