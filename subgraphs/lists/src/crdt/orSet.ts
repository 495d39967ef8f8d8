/**
 * An add-wins observed-remove set (OR-Set, Shapiro et al., "A comprehensive study of CRDTs", 2011,
 * §3.3.5) of string elements. Every add carries a unique tag; a remove deletes only the tags it has
 * observed, so an add concurrent with a remove survives (add wins). Removed tags are kept as tombstones
 * so that the merge of states is a union.
 */
export interface OrSet {
  /** Tags added, by element. */
  readonly adds: Readonly<Record<string, readonly string[]>>;
  /** Tags removed (tombstones), by element. */
  readonly removes: Readonly<Record<string, readonly string[]>>;
}

/** The empty set. */
export const EMPTY_OR_SET: OrSet = { adds: {}, removes: {} };

function union(a: readonly string[] = [], b: readonly string[] = []): string[] {
  return [...new Set([...a, ...b])].sort();
}

function unionMaps(a: Readonly<Record<string, readonly string[]>>, b: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) out[key] = union(a[key], b[key]);
  return out;
}

/** @returns `set` with `element` added under the fresh `tag`. */
export function orSetAdd(set: OrSet, element: string, tag: string): OrSet {
  return { adds: unionMaps(set.adds, { [element]: [tag] }), removes: set.removes };
}

/** @returns `set` with the `observed` tags of `element` removed (tags not observed stay: add wins). */
export function orSetRemove(set: OrSet, element: string, observed: readonly string[]): OrSet {
  return { adds: set.adds, removes: unionMaps(set.removes, { [element]: observed }) };
}

/** @returns the tags of `element` that are added and not removed (empty when absent). */
export function orSetLiveTags(set: OrSet, element: string): string[] {
  const removed = new Set(set.removes[element] ?? []);
  return (set.adds[element] ?? []).filter((t) => !removed.has(t));
}

/** @returns true when `element` has a live tag. */
export function orSetHas(set: OrSet, element: string): boolean {
  return orSetLiveTags(set, element).length > 0;
}

/** @returns the present elements, sorted. */
export function orSetValues(set: OrSet): string[] {
  return Object.keys(set.adds)
    .filter((e) => orSetHas(set, e))
    .sort();
}

/** @returns the union of two states (merge: commutative, associative, idempotent). */
export function mergeOrSet(a: OrSet, b: OrSet): OrSet {
  return { adds: unionMaps(a.adds, b.adds), removes: unionMaps(a.removes, b.removes) };
}
