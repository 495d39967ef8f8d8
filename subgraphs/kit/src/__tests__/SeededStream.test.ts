import { SeededStream } from '../SeededStream';

describe('SeededStream', () => {
  it('gives the same draws for the same seed, in [0, 1), and different draws for another seed', () => {
    const a = new SeededStream(42);
    const b = new SeededStream(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new SeededStream(43).next()).not.toBe(xs[0]);
  });

  it('skipDraws starts the stream where the same number of next() calls would have left it', () => {
    const walked = new SeededStream(20261130);
    walked.skip(15000);
    const jumped = new SeededStream(20261130, 15000);
    expect([jumped.next(), jumped.next()]).toEqual([walked.next(), walked.next()]);
  });

  it('pick and below take one draw each and stay in range', () => {
    const s = new SeededStream(7);
    const xs = ['a', 'b', 'c'];
    for (let i = 0; i < 100; i++) expect(xs).toContain(s.pick(xs));
    for (let i = 0; i < 100; i++) expect(s.below(5)).toBeLessThan(5);
  });
});
