import { compareHlc, parseHlc } from './hlc';

/**
 * A last-writer-wins register: the value written with the greatest HLC wins; HLCs that are equal in
 * wall time and counter are ordered by replica id (part of the encoded HLC), so ties are deterministic.
 */
export interface LwwRegister<T> {
  readonly value: T;
  /** Encoded HLC of the write ({@link encodeHlc}). */
  readonly hlc: string;
}

/** @returns the winner of `a` and `b` (merge: commutative, associative, idempotent). */
export function mergeLww<T>(a: LwwRegister<T>, b: LwwRegister<T>): LwwRegister<T> {
  return compareHlc(parseHlc(a.hlc), parseHlc(b.hlc)) >= 0 ? a : b;
}

/** @returns true when a write stamped `hlc` would win over `current` (so it is not superseded). */
export function lwwWins(current: LwwRegister<unknown>, hlc: string): boolean {
  return compareHlc(parseHlc(hlc), parseHlc(current.hlc)) > 0;
}
