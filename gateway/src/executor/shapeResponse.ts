import { roamError } from '@roam/errors';
import { ownValue, setOwnKey } from './setOwnKey';
import {
  GraphQLError,
  Kind,
  isAbstractType,
  isEnumType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLInterfaceType,
  isInterfaceType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';

type Obj = Record<string, unknown>;
/** A type whose fields a response object is shaped by. */
type ShapeType = GraphQLObjectType | GraphQLInterfaceType;
const BUBBLE = Symbol('null bubbles up');

/** One field of a shaped selection set: the response key and the field nodes merged under it. */
interface CollectedField {
  readonly key: string;
  readonly name: string;
  readonly nodes: readonly FieldNode[];
  /** The nodes' selection sets, gathered once when collected (not per shaped object). */
  readonly sets: readonly SelectionSetNode[];
}

function collectedField(key: string, name: string, nodes: readonly FieldNode[]): CollectedField {
  const sets: SelectionSetNode[] = [];
  for (const n of nodes) if (n.selectionSet) sets.push(n.selectionSet);
  return { key, name, nodes, sets };
}

/** Per-document caches: fragments by name, and collected fields per selection set and runtime type. */
interface DocumentInfo {
  readonly fragments: Map<string, FragmentDefinitionNode>;
  readonly usesVariableDirectives: boolean;
  readonly collected: WeakMap<SelectionSetNode, Map<string, CollectedField[]>>;
}

const documents = new WeakMap<DocumentNode, DocumentInfo>();

function infoOf(document: DocumentNode): DocumentInfo {
  let info = documents.get(document);
  if (!info) {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    info = { fragments, usesVariableDirectives: hasVariableDirective(document), collected: new WeakMap() };
    documents.set(document, info);
  }
  return info;
}

function hasVariableDirective(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if ((node.name.value === 'skip' || node.name.value === 'include') && node.arguments?.some((a) => a.value.kind === Kind.VARIABLE)) found = true;
    },
  });
  return found;
}

/**
 * Shapes the merged subgraph data into the client's response in one pass over the operation: only
 * requested fields, in the operation's field order (GraphQL spec §6.3.2 CollectFields), aliases applied,
 * `__typename` from the runtime type, root `__schema`/`__type` taken as they are from `data`, enum values outside the API schema nulled with an error, and
 * `null` in a non-null position propagated to the nearest nullable parent (spec §6.4.4) with an error.
 *
 * @param schema - the API schema (what clients see).
 * @param document - the client's parsed document.
 * @param operation - the operation being executed.
 * @param variables - coerced variables (for `@skip`/`@include`).
 * @param data - merged data from {@link executePlan}.
 * @param errors - receives shaping errors.
 * @param maxFields - most fields (every key of every object, list items included) the response may hold; the
 *   shaping stops as soon as it would pass it, before the rest of the response is built (issue 18 item 8:
 *   a few hundred aliases must not build a response of tens of megabytes). @default Infinity
 * @returns the response `data` (null when a non-null root field is null).
 * @throws RoamError `RESPONSE_TOO_LARGE` past `maxFields`.
 */
export function shapeResponse(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  data: Obj,
  errors: GraphQLError[],
  maxFields = Number.POSITIVE_INFINITY,
): Obj | null {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return null;
  const shaper = new Shaper(schema, infoOf(document), variables, errors, maxFields);
  const out = shaper.object(rootType, [operation.selectionSet], data, []);
  return out === BUBBLE ? null : out;
}

/**
 * Shapes one object of the response with some selection sets (a deferred fragment's, incremental delivery),
 * as {@link shapeResponse} shapes the root: same field order, aliases, null propagation (bubbling stops at
 * the object: the result is then null) and limits.
 *
 * @param type - the object's runtime type in the API schema.
 * @param path - the object's path in the response (errors point below it).
 * @returns the shaped object, or null when a non-null field inside it was null.
 * @throws RoamError `RESPONSE_TOO_LARGE` past `maxFields`.
 */
export function shapeSelection(
  schema: GraphQLSchema,
  document: DocumentNode,
  type: ShapeType,
  selectionSets: readonly SelectionSetNode[],
  variables: Record<string, unknown>,
  data: Obj,
  path: readonly (string | number)[],
  errors: GraphQLError[],
  maxFields = Number.POSITIVE_INFINITY,
): Obj | null {
  const out = new Shaper(schema, infoOf(document), variables, errors, maxFields).object(type, selectionSets, data, [...path]);
  return out === BUBBLE ? null : out;
}

class Shaper {
  /** Fields shaped so far (object keys and list items). */
  private fields = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly info: DocumentInfo,
    private readonly variables: Record<string, unknown>,
    private readonly errors: GraphQLError[],
    private readonly maxFields: number,
  ) {}

  private count(n: number): void {
    this.fields += n;
    if (this.fields > this.maxFields) {
      throw roamError('RESPONSE_TOO_LARGE', `The response would hold more than ${this.maxFields} fields, the limit; ask for less (fewer aliases, smaller pages).`, { limit: this.maxFields });
    }
  }

  object(type: ShapeType, selectionSets: readonly SelectionSetNode[], source: Obj, path: (string | number)[]): Obj | typeof BUBBLE {
    const out: Obj = {};
    const fields = selectionSets.length === 1 ? this.collect(type, selectionSets[0]!) : this.collectMany(type, selectionSets);
    this.count(fields.length);
    const typeFields = type.getFields();
    for (const f of fields) {
      if (f.name === '__typename') {
        setOwnKey(out, f.key, type.name);
        continue;
      }
      const def = typeFields[f.name];
      if (!def) {
        // Root `__schema`/`__type`: already complete, executed by graphql-js (RoamPlanGateway).
        if (path.length === 0 && (f.name === '__schema' || f.name === '__type')) setOwnKey(out, f.key, ownValue(source, f.key) ?? null);
        continue;
      }
      path.push(f.key);
      const value = this.complete(def.type, f.sets, ownValue(source, f.key), path, type.name, f.name);
      path.pop();
      if (value === BUBBLE) return BUBBLE;
      setOwnKey(out, f.key, value);
    }
    return out;
  }

  complete(type: GraphQLOutputType, selectionSets: readonly SelectionSetNode[], value: unknown, path: (string | number)[], parentName: string, fieldName: string): unknown {
    if (isNonNullType(type)) {
      const v = this.complete(type.ofType, selectionSets, value, path, parentName, fieldName);
      if (v === null) {
        if (!this.hasErrorAt(path)) this.errors.push(new GraphQLError(`Cannot return null for non-nullable field ${parentName}.${fieldName}.`, { path: [...path] }));
        return BUBBLE;
      }
      return v;
    }
    if (value === null || value === undefined) return null;
    if (isListType(type)) {
      if (!Array.isArray(value)) return null;
      this.count(value.length);
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const v = this.complete(type.ofType, selectionSets, value[i], path, parentName, fieldName);
        path.pop();
        if (v === BUBBLE) return null;
        out[i] = v;
      }
      return out;
    }
    if (isLeafType(type)) {
      // A value the API schema does not have (an @inaccessible enum value) reads as null, as in Apollo Gateway.
      if (isEnumType(type) && type.getValue(String(value)) === undefined) return null;
      return value;
    }
    if (typeof value !== 'object') return null;
    const runtime = this.runtimeType(type as GraphQLCompositeType, value as Obj);
    if (!runtime) return null;
    const shaped = this.object(runtime, selectionSets, value as Obj, path);
    return shaped === BUBBLE ? null : shaped;
  }

  /** Whether an error already covers this position: at it, above it, or below it (a null that bubbled up). */
  private hasErrorAt(path: readonly (string | number)[]): boolean {
    return this.errors.some((e) => {
      if (e.path === undefined) return false;
      const n = Math.min(e.path.length, path.length);
      for (let i = 0; i < n; i++) if (e.path[i] !== path[i]) return false;
      return true;
    });
  }

  /**
   * The object type to shape `value` as. An entity of an `@interfaceObject` arrives with the interface's
   * name as `__typename` (or none) when the client did not ask for `__typename`; it is shaped as the
   * interface then.
   */
  private runtimeType(type: GraphQLCompositeType, value: Obj): ShapeType | undefined {
    if (isObjectType(type)) return type;
    const name = value.__typename;
    if (typeof name !== 'string') return isInterfaceType(type) ? type : undefined;
    if (name === type.name) return isInterfaceType(type) ? type : undefined;
    const runtime = this.schema.getType(name);
    if (!runtime || !(isObjectType(runtime) || isInterfaceType(runtime))) return undefined;
    return this.schema.isSubType(type as never, runtime) ? runtime : undefined;
  }

  private collectMany(type: ShapeType, sets: readonly SelectionSetNode[]): CollectedField[] {
    const byKey = new Map<string, { name: string; nodes: FieldNode[] }>();
    for (const set of sets) {
      for (const f of this.collect(type, set)) {
        const e = byKey.get(f.key);
        if (e) e.nodes.push(...f.nodes);
        else byKey.set(f.key, { name: f.name, nodes: [...f.nodes] });
      }
    }
    return [...byKey].map(([key, v]) => collectedField(key, v.name, v.nodes));
  }

  private collect(type: ShapeType, set: SelectionSetNode): CollectedField[] {
    if (!this.info.usesVariableDirectives) {
      let perType = this.info.collected.get(set);
      if (!perType) {
        perType = new Map();
        this.info.collected.set(set, perType);
      }
      let fields = perType.get(type.name);
      if (!fields) {
        fields = this.collectNow(type, set);
        perType.set(type.name, fields);
      }
      return fields;
    }
    return this.collectNow(type, set);
  }

  private collectNow(type: ShapeType, set: SelectionSetNode): CollectedField[] {
    const byKey = new Map<string, { name: string; nodes: FieldNode[] }>();
    const visited = new Set<string>();
    const walk = (s: SelectionSetNode): void => {
      for (const sel of s.selections) {
        if (!this.included(sel)) continue;
        if (sel.kind === Kind.FIELD) {
          const key = sel.alias?.value ?? sel.name.value;
          const e = byKey.get(key);
          if (e) e.nodes.push(sel);
          else byKey.set(key, { name: sel.name.value, nodes: [sel] });
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          if (!sel.typeCondition || this.matches(sel.typeCondition.name.value, type)) walk(sel.selectionSet);
        } else {
          const name = sel.name.value;
          if (visited.has(name)) continue;
          visited.add(name);
          const frag = this.info.fragments.get(name);
          if (frag && this.matches(frag.typeCondition.name.value, type)) walk(frag.selectionSet);
        }
      }
    };
    walk(set);
    return [...byKey].map(([key, v]) => collectedField(key, v.name, v.nodes));
  }

  private matches(condition: string, type: ShapeType): boolean {
    if (condition === type.name) return true;
    const c = this.schema.getType(condition);
    return !!c && isAbstractType(c) && this.schema.isSubType(c, type as never);
  }

  private included(sel: {
    directives?: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: { kind: string; value?: unknown; name?: { value: string } } }[] }[];
  }): boolean {
    if (!sel.directives?.length) return true;
    for (const d of sel.directives) {
      if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
      const arg = d.arguments?.find((a) => a.name.value === 'if');
      if (!arg) continue;
      const v = arg.value.kind === Kind.VARIABLE ? Boolean(this.variables[arg.value.name!.value]) : arg.value.value === true;
      if (d.name.value === 'skip' && v) return false;
      if (d.name.value === 'include' && !v) return false;
    }
    return true;
  }
}
