import fc from 'fast-check';
import {
  checkDrift,
  compareHlc,
  encodeHlc,
  type Hlc,
  HlcError,
  maxHlc,
  mergeLww,
  mergeOrSet,
  mergePnCounter,
  orSetAdd,
  orSetRemove,
  orSetValues,
  type OrSet,
  parseHlc,
  pnIncrement,
  pnValue,
  type PnCounter,
  receiveHlc,
  tickHlc,
  EMPTY_OR_SET,
  ZERO_PN_COUNTER,
  type LwwRegister,
  orSetLiveTags,
} from '..';

const replica = fc.constantFrom('a', 'b', 'c', 'd');
const hlc: fc.Arbitrary<Hlc> = fc.record({ wallMs: fc.integer({ min: 0, max: 5 }), counter: fc.integer({ min: 0, max: 3 }), replica });
// An HLC stamps one write: a replica never writes two values with one timestamp, so the value is a function of it.
const lww: fc.Arbitrary<LwwRegister<string>> = hlc.map((h) => ({ value: `written at ${h.wallMs}.${h.counter} by ${h.replica}`, hlc: encodeHlc(h) }));
// States reachable by operations: each replica adds with unique tags and removes only what it observed.
const orSet: fc.Arbitrary<OrSet> = fc
  .array(fc.tuple(fc.boolean(), fc.constantFrom('x', 'y', 'z'), fc.integer({ min: 0, max: 20 }), replica), { maxLength: 8 })
  .map((ops) => ops.reduce<OrSet>((s, [add, el, n, r]) => (add ? orSetAdd(s, el, `${r}:${n}`) : orSetRemove(s, el, orSetLiveTags(s, el))), EMPTY_OR_SET));
const pn: fc.Arbitrary<PnCounter> = fc
  .array(fc.tuple(replica, fc.integer({ min: -5, max: 5 })), { maxLength: 8 })
  .map((ops) => ops.reduce<PnCounter>((c, [r, d]) => pnIncrement(c, r, d), ZERO_PN_COUNTER));

/** Checks the three semilattice laws of `merge` over `arb`. */
function laws<T>(name: string, arb: fc.Arbitrary<T>, merge: (a: T, b: T) => T): void {
  describe(name, () => {
    it('is commutative', () => fc.assert(fc.property(arb, arb, (a, b) => expect(merge(a, b)).toEqual(merge(b, a)))));
    it('is associative', () => fc.assert(fc.property(arb, arb, arb, (a, b, c) => expect(merge(merge(a, b), c)).toEqual(merge(a, merge(b, c))))));
    it('is idempotent', () => fc.assert(fc.property(arb, (a) => expect(merge(a, a)).toEqual(a))));
  });
}

laws('HLC max', hlc, maxHlc);
laws('LWW register', lww, mergeLww);
laws('add-wins OR-set', orSet, mergeOrSet);
laws('PN-counter', pn, mergePnCounter);

describe('HLC', () => {
  it('round-trips through its string form, and string order is timestamp order', () => {
    fc.assert(
      fc.property(hlc, hlc, (a, b) => {
        expect(parseHlc(encodeHlc(a))).toEqual(a);
        expect(Math.sign(compareHlc(a, b))).toBe(Math.sign(encodeHlc(a) < encodeHlc(b) ? -1 : encodeHlc(a) > encodeHlc(b) ? 1 : 0));
      }),
    );
  });

  it('tick and receive are strictly monotonic', () => {
    fc.assert(
      fc.property(hlc, hlc, fc.integer({ min: 0, max: 10 }), (local, remote, now) => {
        expect(compareHlc(tickHlc(local, now), local)).toBeGreaterThan(0);
        const r = receiveHlc(local, remote, now, 1000);
        expect(r.wallMs > local.wallMs || (r.wallMs === local.wallMs && r.counter > local.counter)).toBe(true);
        expect(r.wallMs > remote.wallMs || (r.wallMs === remote.wallMs && r.counter > remote.counter)).toBe(true);
      }),
    );
  });

  it('refuses a remote clock more than the bound ahead with CLOCK_DRIFT', () => {
    const local = { wallMs: 1000, counter: 0, replica: 'a' };
    expect(() => receiveHlc(local, { wallMs: 1000 + 60_001, counter: 0, replica: 'b' }, 1000, 60_000)).toThrow(HlcError);
    expect(() => checkDrift({ wallMs: 1000 + 60_001, counter: 0, replica: 'b' }, 1000, 60_000)).toThrow(expect.objectContaining({ code: 'CLOCK_DRIFT' }));
    expect(receiveHlc(local, { wallMs: 61_000, counter: 2, replica: 'b' }, 1000, 60_000)).toEqual({ wallMs: 61_000, counter: 3, replica: 'a' });
  });

  it('refuses text that is not an HLC with INVALID_CHANGE', () => {
    expect(() => parseHlc('yesterday')).toThrow(expect.objectContaining({ code: 'INVALID_CHANGE' }));
  });
});

describe('LWW register', () => {
  it('breaks equal wall time and counter by replica id', () => {
    const a = { value: 'from a', hlc: encodeHlc({ wallMs: 5, counter: 0, replica: 'a' }) };
    const b = { value: 'from b', hlc: encodeHlc({ wallMs: 5, counter: 0, replica: 'b' }) };
    expect(mergeLww(a, b).value).toBe('from b');
    expect(mergeLww(b, a).value).toBe('from b');
  });
});

describe('OR-set', () => {
  it('add wins over a concurrent remove that did not observe it', () => {
    const s0 = orSetAdd(EMPTY_OR_SET, 'milk', 'a:1');
    const removed = orSetRemove(s0, 'milk', orSetLiveTags(s0, 'milk'));
    const readded = orSetAdd(s0, 'milk', 'b:1');
    expect(orSetValues(mergeOrSet(removed, readded))).toEqual(['milk']);
    expect(orSetValues(removed)).toEqual([]);
  });
});

describe('PN-counter', () => {
  it('adds up increments and decrements of every replica', () => {
    const a = pnIncrement(pnIncrement(ZERO_PN_COUNTER, 'a', 3), 'a', -1);
    const b = pnIncrement(ZERO_PN_COUNTER, 'b', 5);
    expect(pnValue(mergePnCounter(a, b))).toBe(7);
  });
});
