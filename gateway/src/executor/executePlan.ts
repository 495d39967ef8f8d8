import type { DeferNode, FetchDataRewrite, FetchNode, PlanNode, QueryPlanSelectionNode } from '@apollo/query-planner';
import { downstreamError, isRoamError } from '@roam/errors';
import { GraphQLError, isAbstractType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { subgraphMalformedError } from '../upstream/subgraphFailure';
import { RawJson, type SubgraphError, type SubgraphRequest, type SubgraphResponse } from '../upstream/types';
import { ownValue, setOwnKey } from './setOwnKey';

/**
 * Sends one subgraph operation through the upstream layer; resolves to the subgraph's GraphQL response.
 * @throws RoamError `SUBREQUEST_*` for transport failures.
 */
export type SubgraphCall = (serviceName: string, request: SubgraphRequest) => Promise<SubgraphResponse>;

/** Everything one plan execution needs. */
export interface PlanContext {
  /** The supergraph schema (graphql-js), for type conditions in `requires` and rewrites. */
  readonly supergraphSchema: GraphQLSchema;
  /** The client's coerced variables (defaults applied), for `Condition` nodes. */
  readonly variables: Record<string, unknown>;
  /** The variables as the client sent them; subgraph calls forward these (as Apollo Gateway does). */
  readonly providedVariables: Record<string, unknown>;
  readonly call: SubgraphCall;
  /** Errors collected so far (subgraph errors with paths into the client's response). */
  readonly errors: GraphQLError[];
  /**
   * Runs a `Defer` node incrementally (`executeIncremental.ts`); without it the deferred blocks run inline
   * after the primary block and everything lands in one response.
   */
  readonly defer?: DeferHandler;
}

/**
 * Runs a `Defer` node: `runChild` executes a sub-plan against the same data, its errors going to `errors`.
 * @param context - the context the node was reached with (its `errors` are the enclosing part's).
 */
export type DeferHandler = (node: DeferNode, context: PlanContext, runChild: (child: PlanNode, errors: GraphQLError[]) => Promise<void>) => Promise<void>;

type Obj = Record<string, unknown>;

/**
 * Executes a query plan from `@apollo/query-planner` (Sequence, Parallel, Fetch, Flatten, Condition) and
 * returns the merged, not yet shaped, data (into `data` when given: a subscription event's primary result): root fetches are merged into the root object, entity fetches
 * (`_entities` with representations built from `requires`) into the objects found at the `Flatten`
 * path. Follows the semantics of `@apollo/gateway`'s `executeQueryPlan` (input/output rewrites,
 * error paths), without tracing spans.
 *
 * `Defer` nodes run through `context.defer`, else inline: the primary block, then the deferred blocks (each
 * after the blocks it depends on), all into the same data.
 */
export async function executePlan(node: PlanNode | undefined, context: PlanContext, data: Obj = Object.create(null) as Obj): Promise<Obj> {
  if (node) await run(node, context, data, [], { objs: [data], parent: undefined, path: [] });
  return data;
}

/**
 * The objects a plan node works on: the root object, or the objects found at a `Flatten` path (list items
 * included) under the enclosing node's objects. Only the objects are kept while collecting (issue 19: a path
 * object per collected object was a tenth of a request's allocations); their concrete response paths, which only
 * errors need, are found again by {@link targetPaths}.
 */
interface Targets {
  readonly objs: Obj[];
  /** The enclosing node's targets; `undefined` for the root. */
  readonly parent: Targets | undefined;
  /** The `Flatten` path these were collected at from `parent` (`@` for list items). */
  readonly path: readonly (string | number)[];
  /** The concrete paths, once {@link targetPaths} found them (`null`: they could not be found again). */
  paths?: (string | number)[][] | null;
}

/**
 * @returns each target's concrete response path (list indexes filled in), aligned with `targets.objs`, found by
 *   walking the `Flatten` paths again from the root; `undefined` when the walk no longer finds the same objects
 *   (data merged under the path since it was collected), in which case callers point at the `Flatten` path.
 */
function targetPaths(targets: Targets): (string | number)[][] | undefined {
  if (targets.paths !== undefined) return targets.paths ?? undefined;
  let paths: (string | number)[][] | null;
  if (!targets.parent) paths = targets.objs.map(() => []);
  else {
    const parentPaths = targetPaths(targets.parent);
    paths = null;
    if (parentPaths) {
      const objs: Obj[] = [];
      const found: (string | number)[][] = [];
      targets.parent.objs.forEach((o, i) => collectWithPaths(o, targets.path, 0, [...parentPaths[i]!], objs, found));
      if (objs.length === targets.objs.length && objs.every((o, i) => o === targets.objs[i])) paths = found;
    }
  }
  targets.paths = paths;
  return paths ?? undefined;
}

/** {@link collectAtPath} that also records each object's concrete path (`at`: the path walked so far, reused). */
function collectWithPaths(value: unknown, path: readonly (string | number)[], i: number, at: (string | number)[], out: Obj[], paths: (string | number)[][]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const next = path[i] === '@' ? i + 1 : i;
    for (let index = 0; index < value.length; index++) {
      at.push(index);
      collectWithPaths(value[index], path, next, at, out, paths);
      at.pop();
    }
    return;
  }
  if (i === path.length) {
    if (typeof value === 'object') {
      out.push(value as Obj);
      paths.push([...at]);
    }
    return;
  }
  const key = path[i]!;
  if (key === '@') {
    collectWithPaths(value, path, i + 1, at, out, paths);
    return;
  }
  at.push(key);
  collectWithPaths(ownValue(value as Obj, key as string), path, i + 1, at, out, paths);
  at.pop();
}

async function run(node: PlanNode, context: PlanContext, root: Obj, path: (string | number)[], targets: Targets): Promise<void> {
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await run(child, context, root, path, targets);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => run(child, context, root, path, targets)));
      return;
    case 'Flatten': {
      const found: Obj[] = [];
      for (const o of targets.objs) collectAtPath(o, node.path, 0, found);
      await run(node.node, context, root, [...path, ...node.path], { objs: found, parent: targets, path: node.path });
      return;
    }
    case 'Condition': {
      const value = context.variables[node.condition];
      const branch = value ? node.ifClause : node.elseClause;
      if (branch) await run(branch, context, root, path, targets);
      return;
    }
    case 'Fetch':
      await fetch(node, context, root, path, targets);
      return;
    case 'Defer': {
      const runChild = (child: PlanNode, errors: GraphQLError[]): Promise<void> => run(child, errors === context.errors ? context : { ...context, errors }, root, path, targets);
      if (context.defer) return context.defer(node, context, runChild);
      await runDeferInline(node, (child) => runChild(child, context.errors));
      return;
    }
    default: {
      const unknown: never = node;
      throw new Error(`unknown plan node ${JSON.stringify(unknown)}`);
    }
  }
}

/** Fetch ids (`FetchNode.id`) inside a plan node. */
export function fetchIds(node: PlanNode | undefined, out = new Set<string>()): Set<string> {
  if (!node) return out;
  switch (node.kind) {
    case 'Fetch':
      if (node.id !== undefined) out.add(node.id);
      break;
    case 'Sequence':
    case 'Parallel':
      for (const n of node.nodes) fetchIds(n, out);
      break;
    case 'Flatten':
      fetchIds(node.node, out);
      break;
    case 'Condition':
      fetchIds(node.ifClause, out);
      fetchIds(node.elseClause, out);
      break;
    case 'Defer':
      fetchIds(node.primary.node, out);
      for (const d of node.deferred) fetchIds(d.node, out);
      break;
  }
  return out;
}

/**
 * The blocks of a `Defer` node each deferred block waits for: the siblings holding a fetch whose id it
 * `depends` on (the primary block has always finished before any deferred block starts).
 * @returns for each deferred block (same order), the indexes of the sibling blocks it waits for.
 */
export function deferredDependencies(node: DeferNode): number[][] {
  const ids = node.deferred.map((d) => fetchIds(d.node));
  return node.deferred.map((d, i) => {
    const wanted = d.depends.map((x) => x.id);
    return ids.flatMap((set, j) => (j !== i && wanted.some((id) => set.has(id)) ? [j] : []));
  });
}

/** Runs a `Defer` node inline: primary block, then every deferred block once its dependencies finished. */
async function runDeferInline(node: DeferNode, runChild: (child: PlanNode) => Promise<void>): Promise<void> {
  if (node.primary.node) await runChild(node.primary.node);
  const deps = deferredDependencies(node);
  const done: Promise<void>[] = [];
  node.deferred.forEach((d, i) => {
    done[i] = (async () => {
      for (const j of deps[i]!) if (j < i) await done[j];
      if (d.node) await runChild(d.node);
    })();
  });
  await Promise.all(done);
}

function collectAtPath(value: unknown, path: readonly (string | number)[], i: number, out: Obj[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const next = path[i] === '@' ? i + 1 : i;
    for (let index = 0; index < value.length; index++) collectAtPath(value[index], path, next, out);
    return;
  }
  if (i === path.length) {
    if (typeof value === 'object') out.push(value as Obj);
    return;
  }
  const key = path[i]!;
  if (key === '@') {
    collectAtPath(value, path, i + 1, out);
    return;
  }
  // a `__proto__` response key (a client's alias) is read as an own key only: never Object.prototype as a target
  collectAtPath(ownValue(value as Obj, key as string), path, i + 1, out);
}

async function fetch(node: FetchNode, context: PlanContext, root: Obj, path: (string | number)[], targets: Targets): Promise<void> {
  // collectAtPath only collects objects, so every target is one.
  const objs = targets.objs;
  if (objs.length === 0) return;
  const variables: Obj = {};
  for (const name of node.variableUsages ?? []) {
    const value = ownValue(context.providedVariables, name);
    if (value !== undefined) setOwnKey(variables, name, value);
  }

  if (!node.requires) {
    const res = await send(node, context, variables, path, undefined, targets);
    if (!res) return;
    applyRewrites(context.supergraphSchema, node.outputRewrites, res);
    for (const o of objs) deepMerge(o, res);
    return;
  }
  // Identical representations are sent once (as Apollo Router does); every owner gets the entity merged in.
  // owners[i]: the indexes (in `objs`) of the targets of representation i.
  const owners: number[][] = [];
  const indexByKey = new Map<string, number>();
  const direct = directRepresentations(context.supergraphSchema, node);
  if (direct) {
    // The usual case, written straight to JSON text, each distinct representation once: duplicates are found
    // through a trie of the key values (no text per duplicate), entities with object-valued keys by their text.
    let json = '';
    const trie = new Map<string, Map<unknown, unknown>>();
    const byText = new Map<string, number>();
    for (let t = 0; t < objs.length; t++) {
      const obj = objs[t]!;
      const typename = obj.__typename;
      if (typeof typename !== 'string') continue;
      const fragment = direct.get(typename);
      if (!fragment) continue;
      let index: number | undefined;
      let level = trie.get(typename);
      if (level === undefined) trie.set(typename, (level = new Map()));
      const keys = fragment.valueKeys;
      let found = keys.length > 0;
      for (let i = 0; i < keys.length && found; i++) {
        const value = obj[keys[i]!];
        if (value === undefined) {
          found = false;
          index = -1;
        } else if (value !== null && typeof value === 'object') {
          found = false;
        } else if (i === keys.length - 1) {
          index = level.get(value) as number | undefined;
          if (index === undefined) {
            const rep = writeRepresentation(fragment, obj);
            if (rep === undefined) index = -1;
            else {
              index = owners.length;
              level.set(value, index);
              json += json === '' ? rep : `,${rep}`;
              owners.push([]);
            }
          }
        } else {
          let next = level.get(value) as Map<unknown, unknown> | undefined;
          if (next === undefined) level.set(value, (next = new Map()));
          level = next;
        }
      }
      if (index === undefined) {
        // object-valued or no key fields besides __typename: keyed by the text itself
        const rep = writeRepresentation(fragment, obj);
        if (rep === undefined) continue;
        index = byText.get(rep);
        if (index === undefined) {
          index = owners.length;
          byText.set(rep, index);
          json += json === '' ? rep : `,${rep}`;
          owners.push([]);
        }
      }
      if (index >= 0) owners[index]!.push(t);
    }
    if (owners.length === 0) return;
    const res = await send(node, context, { ...variables, representations: new RawJson(`[${json}]`) }, path, owners, targets);
    if (res) mergeEntities(node, context, res, owners, objs);
    return;
  }
  const representations: Obj[] = [];
  for (let t = 0; t < objs.length; t++) {
    const rep = selectRequires(context.supergraphSchema, objs[t], node.requires);
    if (rep && rep.__typename) {
      applyRewrites(context.supergraphSchema, node.inputRewrites, rep);
      const key = representationKey(rep);
      const at = indexByKey.get(key);
      if (at !== undefined) {
        owners[at]!.push(t);
        continue;
      }
      indexByKey.set(key, representations.length);
      representations.push(rep);
      owners.push([t]);
    }
  }
  if (representations.length === 0) return;
  const res = await send(node, context, { ...variables, representations }, path, owners, targets);
  if (res) mergeEntities(node, context, res, owners, objs);
}

/** Merges an entity fetch's `_entities` into the owners of each representation (`owners[i]`: the indexes in `objs` of the targets of representation i). */
function mergeEntities(node: FetchNode, context: PlanContext, res: Obj, owners: readonly number[][], objs: readonly Obj[]): void {
  const received = res._entities;
  if (!Array.isArray(received) || received.length !== owners.length) {
    context.errors.push(subgraphMalformedError(node.serviceName, `expected "data._entities" to contain ${owners.length} elements`));
    return;
  }
  for (let i = 0; i < received.length; i++) {
    const entity = received[i] as Obj | null;
    const repOwners = owners[i]!;
    if (entity && !entity.__typename) entity.__typename = objs[repOwners[0]!]!.__typename;
    applyRewrites(context.supergraphSchema, node.outputRewrites, entity);
    if (!entity) continue;
    // Owners of one representation share the entity's nested objects: later fetches merge the same data
    // into them, so sharing is safe and saves a copy per duplicate.
    for (const owner of repOwners) deepMerge(objs[owner]!, entity);
  }
}

/** One inline fragment of a fetch's `requires`, as {@link directRepresentations} writes it. */
interface DirectFragment {
  /** Response keys of its fields, in selection order (`__typename` among them). */
  readonly keys: readonly string[];
  /** `{"key":` / `,"key":` per field. */
  readonly prefixes: readonly string[];
  /** The keys besides `__typename`: what tells two representations of one type apart. */
  readonly valueKeys: readonly string[];
}

const directCache = new WeakMap<FetchNode, ReadonlyMap<string, DirectFragment> | null>();

/**
 * How to write representations as JSON text for the usual shape of an entity fetch's `requires`: inline fragments
 * on object types, each selecting leaf fields only (`... on Product { __typename upc }`), no input rewrites. The
 * text is what {@link selectRequires} would build, serialised as `JSON.stringify` would: the fields of the fragment
 * on the entity's `__typename`, in selection order; an entity missing one of them, or whose type no fragment names,
 * has no representation. Built once per fetch node.
 *
 * @returns the fragments by type condition, or `null` when the fetch needs the general path.
 */
function directRepresentations(schema: GraphQLSchema, node: FetchNode): ReadonlyMap<string, DirectFragment> | null {
  let direct = directCache.get(node);
  if (direct === undefined) {
    direct = buildDirect(schema, node);
    directCache.set(node, direct);
  }
  return direct;
}

function buildDirect(schema: GraphQLSchema, node: FetchNode): Map<string, DirectFragment> | null {
  if (!node.requires || node.inputRewrites?.length) return null;
  const byType = new Map<string, DirectFragment>();
  for (const s of node.requires) {
    if (s.kind !== 'InlineFragment' || !s.typeCondition || byType.has(s.typeCondition) || !isObjectType(schema.getType(s.typeCondition))) return null;
    const keys: string[] = [];
    for (const f of s.selections) {
      if (f.kind !== 'Field' || f.selections) return null;
      const key = f.alias ?? f.name;
      if (key === '__proto__' || keys.includes(key)) return null;
      keys.push(key);
    }
    if (!keys.includes('__typename')) return null;
    byType.set(s.typeCondition, { keys, prefixes: keys.map((k, i) => `${i === 0 ? '{' : ','}${JSON.stringify(k)}:`), valueKeys: keys.filter((k) => k !== '__typename') });
  }
  return byType;
}

/** @returns an entity's representation as JSON text, or `undefined` when it lacks one of the fragment's fields. */
function writeRepresentation(fragment: DirectFragment, obj: Obj): string | undefined {
  let json = '';
  for (let i = 0; i < fragment.keys.length; i++) {
    const value = obj[fragment.keys[i]!];
    if (value === undefined) return undefined;
    json += fragment.prefixes[i]! + JSON.stringify(value);
  }
  return `${json}}`;
}

/**
 * The identity of a representation for sending identical ones once: the same as `JSON.stringify(rep)` for
 * telling representations apart, built without JSON's escaping when every value is a scalar (the usual key
 * fields); each field is written as `name=<type tag><length:>value;`, so no two different representations
 * get the same key. Nested values fall back to `JSON.stringify`.
 */
function representationKey(rep: Obj): string {
  let key = '';
  for (const name in rep) {
    const v = rep[name];
    if (typeof v === 'string') key += `${name}=s${v.length}:${v};`;
    else if (typeof v === 'number' || typeof v === 'boolean') key += `${name}=${typeof v}${String(v)};`;
    else if (v === null) key += `${name}=z;`;
    else if (v !== undefined) return `j${JSON.stringify(rep)}`;
  }
  return key;
}

async function send(node: FetchNode, context: PlanContext, variables: Obj, path: (string | number)[], owners: readonly number[][] | undefined, targets: Targets): Promise<Obj | undefined> {
  let res: SubgraphResponse;
  try {
    res = await context.call(node.serviceName, { query: node.operation, variables, ...(node.operationName ? { operationName: node.operationName } : {}) });
  } catch (error) {
    // As Apollo Gateway: the error points at where the failed fetch's data would have gone.
    const at = path.filter((p) => p !== '@');
    if (!isRoamError(error)) throw error; // a bug, not a subgraph failure: the request fails with 500
    context.errors.push(at.length > 0 && !error.path ? new GraphQLError(error.message, { path: at, extensions: error.extensions }) : error);
    return undefined;
  }
  if (res.errors?.length) {
    for (const reported of res.errors) {
      // A subgraph may send a malformed error entry (null, a string); it still becomes one error naming it.
      const err: SubgraphError = typeof reported === 'object' && reported !== null ? reported : { message: `Subgraph '${node.serviceName}' sent a malformed error entry.` };
      const message = err.message ?? 'Subgraph error';
      // `_entities.<i>.rest` points into the client's response at every owner of representation i
      // (Apollo Gateway's error path rewriting); a root fetch's paths are kept under the Flatten path.
      const index = err.path?.[1];
      if (owners && err.path?.[0] === '_entities' && typeof index === 'number' && owners[index]) {
        const paths = targetPaths(targets);
        for (const owner of owners[index]!) {
          const at = paths ? paths[owner]! : path.filter((p) => p !== '@');
          context.errors.push(downstreamError(node.serviceName, message, err.extensions, [...at, ...err.path.slice(2)]));
        }
        continue;
      }
      const errorPath = err.path && !owners ? [...path.filter((p) => p !== '@'), ...err.path] : undefined;
      context.errors.push(downstreamError(node.serviceName, message, err.extensions, errorPath));
    }
  }
  return res.data && typeof res.data === 'object' ? (res.data as Obj) : undefined;
}

/** Builds a representation: the `requires` selections read from an entity (Apollo Gateway's `executeSelectionSet`). */
function selectRequires(schema: GraphQLSchema, source: unknown, selections: readonly QueryPlanSelectionNode[]): Obj | null {
  if (source === null || source === undefined) return null;
  // Built lazily as a plain object (issue 19, memory): one representation per entity per fetch made this the
  // largest allocator of a request; a null-prototype object starts in V8's dictionary mode (several times the
  // size of a plain one), and a fragment's selection, when nothing was selected before it, becomes the result
  // instead of being copied into a fresh one. Keys come from the planner's `requires` (schema field names;
  // GraphQL reserves `__` names, and `setOwnKey` keeps even `__proto__` an own key); readers use own keys only.
  let result: Obj | undefined;
  for (const s of selections) {
    if (s.kind === 'Field') {
      const key = s.alias ?? s.name;
      const value = (source as Obj)[key];
      if (value === undefined) return null;
      result ??= {};
      if (Array.isArray(value))
        setOwnKey(
          result,
          key,
          value.map((v) => (s.selections ? selectRequires(schema, v, s.selections) : v)),
        );
      else if (s.selections) setOwnKey(result, key, selectRequires(schema, value, s.selections));
      else setOwnKey(result, key, value);
    } else {
      if (!s.typeCondition) continue;
      if (isObjectOfType(schema, source as Obj, s.typeCondition)) {
        const selected = selectRequires(schema, source, s.selections);
        if (result === undefined) result = selected ?? {};
        else deepMerge(result, selected);
      }
    }
  }
  return result ?? {};
}

/** Whether `obj` (by its `__typename`) satisfies the type condition `typeName` in `schema`. */
export function isObjectOfType(schema: GraphQLSchema, obj: Obj, typeName: string, whenUnknown = false): boolean {
  const objTypename = obj.__typename as string | undefined;
  if (!objTypename) return whenUnknown;
  if (objTypename === typeName) return true;
  const type = schema.getType(objTypename);
  const condition = schema.getType(typeName);
  if (!type || !condition) return false;
  return isAbstractType(condition) && (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}

/** Merges `source` into `target` in place: objects key by key, arrays element by element. */
export function deepMerge(target: Obj, source: unknown): void {
  if (source === null || source === undefined || typeof source !== 'object') return;
  // for…in instead of Object.keys: no key array per merged object. Sources are JSON.parse results and
  // objects built here (no enumerable inherited keys), so both visit the same keys.
  for (const key in source as Obj) {
    const value = (source as Obj)[key];
    // `__proto__` (a client's alias): read and written as an own key, never through Object.prototype's accessor
    const existing = ownValue(target, key);
    if (existing === value) continue;
    if (value !== null && typeof value === 'object' && existing !== null && typeof existing === 'object') {
      if (Array.isArray(value) && Array.isArray(existing)) {
        for (let i = 0; i < value.length; i++) {
          const v = value[i];
          if (v !== null && typeof v === 'object' && existing[i] !== null && typeof existing[i] === 'object') deepMerge(existing[i] as Obj, v);
          else existing[i] = v;
        }
      } else if (!Array.isArray(value) && !Array.isArray(existing)) {
        deepMerge(existing as Obj, value);
      } else {
        setOwnKey(target, key, value);
      }
    } else if (value !== undefined) {
      setOwnKey(target, key, value);
    }
  }
}

/** Applies the planner's input/output rewrites (ValueSetter, KeyRenamer) to a value in place. */
function applyRewrites(schema: GraphQLSchema, rewrites: readonly FetchDataRewrite[] | undefined, value: unknown): void {
  if (!rewrites || value === null || value === undefined) return;
  for (const rewrite of rewrites) {
    if (rewrite.path.length === 0) continue;
    const parent = rewrite.path.slice(0, -1);
    const field = rewrite.path[rewrite.path.length - 1]!;
    applyAtPath(schema, parent, value, (obj) => {
      if (rewrite.kind === 'ValueSetter') obj[field] = rewrite.setValueTo;
      else if (obj[field] !== undefined && obj[field] !== null) {
        obj[rewrite.renameKeyTo] = obj[field];
        obj[field] = undefined;
      }
    });
  }
}

function applyAtPath(schema: GraphQLSchema, path: readonly string[], value: unknown, fn: (obj: Obj) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) applyAtPath(schema, path, v, fn);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (path.length === 0) {
    fn(value as Obj);
    return;
  }
  const [first, ...rest] = path as [string, ...string[]];
  if (first.startsWith('... on ')) {
    if (isObjectOfType(schema, value as Obj, first.slice('... on '.length), true)) applyAtPath(schema, rest, value, fn);
  } else {
    applyAtPath(schema, rest, ownValue(value as Obj, first), fn);
  }
}
