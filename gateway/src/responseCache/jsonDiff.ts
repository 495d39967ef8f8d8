/** One RFC 6902 JSON Patch operation, as {@link jsonDiff} makes them. */
export type PatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'move'; readonly from: string; readonly path: string };

/** Fields that identify a list element, tried in order (GraphQL ids and the federation keys of the reference subgraphs). */
const IDENTITY_FIELDS = ['id', 'upc', 'key', 'cursor'] as const;

type Obj = Record<string, unknown>;

/** @returns `s` escaped for a JSON Pointer reference token (RFC 6901 §3). */
function escape(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => equal(v, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && equal((a as Obj)[k], (b as Obj)[k]));
}

/** @returns the identity of each element (`"<field>=<json>"`), or undefined when the list has no usable identity field (absent or repeated). */
function identities(list: readonly unknown[]): string[] | undefined {
  if (list.length === 0) return [];
  for (const field of IDENTITY_FIELDS) {
    const ids: string[] = [];
    const seen = new Set<string>();
    for (const item of list) {
      const v = isObj(item) ? item[field] : undefined;
      if (v === undefined || v === null || typeof v === 'object') break;
      const id = `${typeof v}:${String(v)}`;
      if (seen.has(id)) break;
      seen.add(id);
      ids.push(id);
    }
    if (ids.length === list.length) return ids.map((id) => `${field}=${id}`);
  }
  return undefined;
}

/**
 * Computes an RFC 6902 JSON Patch that turns `base` into `next` (both JSON values, e.g. two GraphQL responses
 * of one operation). It keeps patches small where GraphQL responses change: unchanged subtrees produce
 * nothing; objects with the same keys in the same order are patched field by field (otherwise replaced
 * whole, so that applying the patch keeps the key order and the JSON text, hence the ETag, matches);
 * lists whose elements all carry a distinct `id`/`upc`/`key`/`cursor` (in both versions, by the same field)
 * are edited by key, with `remove`, `move` and `add` of whole elements and element-level patches of the rest,
 * instead of index-by-index rewrites; other lists are patched by position, with a tail added or removed.
 *
 * Applying the result to a copy of `base` with any RFC 6902 implementation (e.g. `fast-json-patch`'s
 * `applyPatch`) yields a value deeply equal to `next`, with the same key order.
 *
 * @returns the operations, in order; `[]` when the values are equal.
 */
export function jsonDiff(base: unknown, next: unknown): PatchOperation[] {
  const ops: PatchOperation[] = [];
  diffValue(base, next, '', ops);
  return ops;
}

function diffValue(a: unknown, b: unknown, path: string, ops: PatchOperation[]): void {
  if (equal(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) return diffList(a, b, path, ops);
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length === kb.length && ka.every((k, i) => k === kb[i])) {
      for (const k of ka) diffValue(a[k], b[k], `${path}/${escape(k)}`, ops);
      return;
    }
  }
  ops.push({ op: 'replace', path, value: b });
}

function diffList(a: readonly unknown[], b: readonly unknown[], path: string, ops: PatchOperation[]): void {
  const ia = identities(a);
  const ib = identities(b);
  if (ia && ib && (ia.length === 0 || ib.length === 0 || ia[0]!.split('=')[0] === ib[0]!.split('=')[0])) {
    diffKeyedList(a, b, ia, ib, path, ops);
    return;
  }
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) diffValue(a[i], b[i], `${path}/${i}`, ops);
  for (let i = a.length - 1; i >= b.length; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
  for (let i = a.length; i < b.length; i++) ops.push({ op: 'add', path: `${path}/${i}`, value: b[i] });
}

/** Edits list `a` into `b` by element identity: removals (from the end), then left to right: keep, move in, or add. */
function diffKeyedList(a: readonly unknown[], b: readonly unknown[], ia: readonly string[], ib: readonly string[], path: string, ops: PatchOperation[]): void {
  const wanted = new Set(ib);
  // the working list: identities and values as the patch leaves them so far
  const ids = [...ia];
  const values = [...a];
  for (let i = ids.length - 1; i >= 0; i--) {
    if (!wanted.has(ids[i]!)) {
      ops.push({ op: 'remove', path: `${path}/${i}` });
      ids.splice(i, 1);
      values.splice(i, 1);
    }
  }
  for (let i = 0; i < ib.length; i++) {
    const id = ib[i]!;
    if (ids[i] === id) {
      diffValue(values[i], b[i], `${path}/${i}`, ops);
      continue;
    }
    const from = ids.indexOf(id, i + 1);
    if (from >= 0) {
      ops.push({ op: 'move', from: `${path}/${from}`, path: `${path}/${i}` });
      const [movedId] = ids.splice(from, 1);
      const [moved] = values.splice(from, 1);
      ids.splice(i, 0, movedId!);
      values.splice(i, 0, moved);
      diffValue(moved, b[i], `${path}/${i}`, ops);
    } else {
      ops.push({ op: 'add', path: `${path}/${i}`, value: b[i] });
      ids.splice(i, 0, id);
      values.splice(i, 0, b[i]);
    }
  }
}
