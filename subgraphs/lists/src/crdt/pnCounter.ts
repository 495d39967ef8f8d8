/**
 * A PN-counter (Shapiro et al. 2011, §3.1.2): per replica, the total of its increments (`p`) and of
 * its decrements (`n`), both only growing; the value is Σp − Σn. Each replica writes only its own entry.
 */
export interface PnCounter {
  readonly p: Readonly<Record<string, number>>;
  readonly n: Readonly<Record<string, number>>;
}

/** The counter at 0. */
export const ZERO_PN_COUNTER: PnCounter = { p: {}, n: {} };

/** @returns `counter` with `delta` (any integer) added by `replica`. */
export function pnIncrement(counter: PnCounter, replica: string, delta: number): PnCounter {
  if (delta >= 0) return { p: { ...counter.p, [replica]: (counter.p[replica] ?? 0) + delta }, n: counter.n };
  return { p: counter.p, n: { ...counter.n, [replica]: (counter.n[replica] ?? 0) - delta } };
}

/** @returns Σp − Σn. */
export function pnValue(counter: PnCounter): number {
  const sum = (m: Readonly<Record<string, number>>): number => Object.values(m).reduce((s, v) => s + v, 0);
  return sum(counter.p) - sum(counter.n);
}

function maxMap(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) out[key] = Math.max(a[key] ?? 0, b[key] ?? 0);
  return out;
}

/** @returns the entry-wise maximum of two states (merge: commutative, associative, idempotent). */
export function mergePnCounter(a: PnCounter, b: PnCounter): PnCounter {
  return { p: maxMap(a.p, b.p), n: maxMap(a.n, b.n) };
}
