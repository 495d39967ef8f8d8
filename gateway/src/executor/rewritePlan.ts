import { createHash } from 'node:crypto';
import type { FetchDataRewrite, FetchNode, FlattenNode, PlanNode, QueryPlan, QueryPlanSelectionNode } from '@apollo/query-planner';
import { roamError } from '@roam/errors';
import {
  Kind,
  parse,
  print,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';

/*
 * Plan rewrites applied to `@apollo/query-planner` 2.x plans before Roam executes them (issue 19 item 3). The
 * planner has three known faults the federation gateway audit shows (Apollo Gateway and Apollo Router 1.x fail
 * the same tests; Hive Router passes them by the same means as here):
 *
 * 1. keys-mashup: an entity fetch is given a representation built from a key the target subgraph declares
 *    `resolvable: false`, so the subgraph answers `null`. Fix: the representation is built from a key the
 *    subgraph can resolve, and the fetch that produced the entities is made to select that key's fields.
 * 2. requires-with-argument: a `@requires` field with arguments (`comments(limit: 3)`) is fetched under the same
 *    response key as the client's own selection of that field with other arguments (`comments(limit: 1)`), and
 *    only one of the two survives. Fix: the required variant is fetched under its own alias, later fetches
 *    through it are pointed at the alias, and the representation reads the alias (an input `KeyRenamer`).
 * 3. requires-with-argument-conflict: two `@requires` of one entity fetch need one field with different
 *    arguments (`price(currency: "USD")`, `price(currency: "EUR")`). Fix: both are fetched under aliases and the
 *    entity fetch is split into one fetch per compatible group of fields, each with its own representations.
 *
 * The rewrites only touch plans of supergraphs that have non-resolvable keys or `@requires` with arguments;
 * every other plan is returned as it is (the same object). Rewritten plans are cached with the plan.
 */

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type PlanSel = QueryPlanSelectionNode;

/** One `@join__type(graph:, key:, resolvable:)` of a type. */
interface JoinKey {
  readonly fields: string;
  readonly resolvable: boolean;
}

/** The join directives of a supergraph the rewrites need. */
interface JoinInfo {
  /** type → service name → keys. */
  readonly keys: Map<string, Map<string, JoinKey[]>>;
  /** `Type.field` → service name → `requires` field set. */
  readonly requires: Map<string, Map<string, string>>;
  /** `Type.field` → `join__field` entries (service, external); absent: the field is in every graph of the type. */
  readonly fieldGraphs: Map<string, { service: string; external: boolean }[]>;
  /** type → services it is in. */
  readonly typeGraphs: Map<string, Set<string>>;
  readonly hasNonResolvableKey: boolean;
  readonly hasArgRequires: boolean;
}

/** An entry of the plan in execution order: a fetch and the (possibly empty) Flatten path it runs under. */
interface PlannedFetch {
  readonly fetch: FetchNode;
  readonly flatten: FlattenNode | undefined;
  readonly order: number;
}

/** A `@requires` field with arguments that one entity fetch's representations need. */
interface Demand {
  readonly consumer: PlannedFetch;
  readonly type: string;
  /** The consumer field (`shippingEstimate`) whose `@requires` holds it. */
  readonly field: string;
  /** Response path of the required field inside the entity (`['category', 'averagePrice']`). */
  readonly q: readonly string[];
  /** The required field as written in the supergraph (arguments included). */
  readonly node: FieldNode;
  /** Printed arguments, the identity of a variant. */
  readonly sig: string;
}

const stringArg = (args: readonly ArgumentNode[] | undefined, name: string): string | undefined => {
  const v = args?.find((a) => a.name.value === name)?.value;
  return v && (v.kind === Kind.STRING || v.kind === Kind.ENUM) ? v.value : undefined;
};
const boolArg = (args: readonly ArgumentNode[] | undefined, name: string): boolean | undefined => {
  const v = args?.find((a) => a.name.value === name)?.value;
  return v && v.kind === Kind.BOOLEAN ? v.value : undefined;
};

/** Reads the join directives of a supergraph SDL (join spec v0.2–v0.5). */
function readJoinInfo(sdl: string): JoinInfo {
  const doc = parse(sdl, { noLocation: true });
  const graphNames = new Map<string, string>();
  for (const def of doc.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION && def.name.value === 'join__Graph') {
      for (const v of def.values ?? []) {
        const name = stringArg(v.directives?.find((d) => d.name.value === 'join__graph')?.arguments, 'name');
        graphNames.set(v.name.value, name ?? v.name.value);
      }
    }
  }
  const keys = new Map<string, Map<string, JoinKey[]>>();
  const requires = new Map<string, Map<string, string>>();
  const fieldGraphs = new Map<string, { service: string; external: boolean }[]>();
  const typeGraphs = new Map<string, Set<string>>();
  let hasNonResolvableKey = false;
  let hasArgRequires = false;
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.INTERFACE_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION && def.kind !== Kind.INTERFACE_TYPE_EXTENSION) {
      continue;
    }
    const type = def.name.value;
    for (const d of def.directives ?? []) {
      if (d.name.value !== 'join__type') continue;
      const service = graphNames.get(stringArg(d.arguments, 'graph') ?? '') ?? '';
      let graphs = typeGraphs.get(type);
      if (!graphs) typeGraphs.set(type, (graphs = new Set()));
      graphs.add(service);
      const key = stringArg(d.arguments, 'key');
      if (key === undefined) continue;
      const resolvable = boolArg(d.arguments, 'resolvable') ?? true;
      if (!resolvable) hasNonResolvableKey = true;
      let byService = keys.get(type);
      if (!byService) keys.set(type, (byService = new Map()));
      byService.set(service, [...(byService.get(service) ?? []), { fields: key, resolvable }]);
    }
    for (const field of def.fields ?? []) {
      const coordinate = `${type}.${field.name.value}`;
      for (const d of field.directives ?? []) {
        if (d.name.value !== 'join__field') continue;
        const service = graphNames.get(stringArg(d.arguments, 'graph') ?? '') ?? '';
        fieldGraphs.set(coordinate, [...(fieldGraphs.get(coordinate) ?? []), { service, external: boolArg(d.arguments, 'external') ?? false }]);
        const req = stringArg(d.arguments, 'requires');
        if (req === undefined) continue;
        if (req.includes('(')) hasArgRequires = true;
        let byService = requires.get(coordinate);
        if (!byService) requires.set(coordinate, (byService = new Map()));
        byService.set(service, req);
      }
    }
  }
  return { keys, requires, fieldGraphs, typeGraphs, hasNonResolvableKey, hasArgRequires };
}

const parseFieldSet = (fields: string): SelectionSetNode => (parse(`{${fields}}`, { noLocation: true }).definitions[0] as OperationDefinitionNode).selectionSet;
const responseKey = (f: FieldNode): string => f.alias?.value ?? f.name.value;
/** A Flatten path element without its type condition suffix (`a|[A]` → `a`); `@` stays. */
const pathName = (p: string | number): string => String(p).replace(/\|\[.*\]$/, '');
const normalize = (path: readonly (string | number)[]): string[] => path.map(pathName).filter((p) => p !== '@');
const printArgs = (args: readonly ArgumentNode[] | undefined): string => (args ?? []).map((a) => `${a.name.value}:${print(a.value)}`).join(',');

/**
 * Rewrites query plans of one supergraph (see the module comment). Built once per supergraph snapshot.
 */
export class PlanRewriter {
  private constructor(private readonly join: JoinInfo) {}

  /**
   * @param sdl - the core supergraph SDL.
   * @returns a rewriter, or `undefined` when the supergraph has nothing the rewrites apply to (then plans are
   *   executed as planned).
   */
  static forSupergraph(sdl: string): PlanRewriter | undefined {
    if (!sdl.includes('resolvable: false') && !/requires:\s*"[^"]*\(/.test(sdl)) return undefined;
    const join = readJoinInfo(sdl);
    return join.hasNonResolvableKey || join.hasArgRequires ? new PlanRewriter(join) : undefined;
  }

  /**
   * Rewrites one plan.
   *
   * @param plan - the planner's plan (not modified).
   * @param document - the document that was planned (for the client's own selections and fragments).
   * @param operation - its operation.
   * @returns the rewritten plan, or `plan` itself when no rewrite applies.
   */
  rewrite(plan: QueryPlan, document: DocumentNode, operation: OperationDefinitionNode): QueryPlan {
    if (!plan.node || plan.node.kind === 'Subscription') return plan;
    const node = structuredClone(plan.node);
    const ctx = new RewriteContext(this.join, node, document, operation);
    const changedKeys = this.join.hasNonResolvableKey && ctx.fixKeys();
    const changedRequires = this.join.hasArgRequires && ctx.fixRequiresArguments();
    if (!changedKeys && !changedRequires) return plan;
    return { ...plan, node: ctx.build() };
  }
}

/** The state of one plan's rewrite: its fetches in order, their parsed operations, and node replacements. */
class RewriteContext {
  private readonly fetches: PlannedFetch[] = [];
  private readonly docs = new Map<FetchNode, DocumentNode>();
  /** Flatten (or bare Fetch) nodes to replace when the tree is rebuilt. */
  private readonly replacements = new Map<PlanNode, PlanNode>();
  private readonly fragments = new Map<string, FragmentDefinitionNode>();

  constructor(
    private readonly join: JoinInfo,
    private readonly root: PlanNode,
    document: DocumentNode,
    private readonly operation: OperationDefinitionNode,
  ) {
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(d.name.value, d);
    this.collect(root, undefined);
  }

  private collect(node: PlanNode, flatten: FlattenNode | undefined): void {
    switch (node.kind) {
      case 'Fetch':
        this.fetches.push({ fetch: node, flatten, order: this.fetches.length });
        return;
      case 'Flatten':
        this.collect(node.node, node);
        return;
      case 'Sequence':
      case 'Parallel':
        for (const n of node.nodes) this.collect(n, flatten);
        return;
      case 'Condition':
        if (node.ifClause) this.collect(node.ifClause, flatten);
        if (node.elseClause) this.collect(node.elseClause, flatten);
        return;
      default:
        return; // Defer and Subscription plans are not rewritten
    }
  }

  /** The rewritten tree: replacements applied, changed operations printed back. */
  build(): PlanNode {
    for (const [fetch, doc] of this.docs) {
      (fetch as Mutable<FetchNode>).operation = print(doc);
      delete (fetch as Mutable<FetchNode>).operationDocumentNode;
    }
    const rebuild = (node: PlanNode): PlanNode => {
      const replaced = this.replacements.get(node);
      if (replaced) return replaced;
      switch (node.kind) {
        case 'Flatten':
          return { ...node, node: rebuild(node.node) };
        case 'Sequence':
        case 'Parallel':
          return { ...node, nodes: node.nodes.map(rebuild) } as PlanNode;
        case 'Condition':
          return { ...node, ifClause: node.ifClause && rebuild(node.ifClause), elseClause: node.elseClause && rebuild(node.elseClause) };
        default:
          return node;
      }
    };
    return rebuild(this.root);
  }

  /** A copy of a fetch with its operation as rewritten so far. */
  private cloneFetch(fetch: FetchNode): FetchNode {
    const doc = this.docs.get(fetch);
    const copy = structuredClone(fetch) as Mutable<FetchNode>;
    if (doc) {
      copy.operation = print(doc);
      delete copy.operationDocumentNode;
    }
    return copy;
  }

  private doc(fetch: FetchNode): DocumentNode {
    let doc = this.docs.get(fetch);
    if (!doc) {
      doc = parse(fetch.operation, { noLocation: true });
      this.docs.set(fetch, doc);
    }
    return doc;
  }

  private static operationOf(doc: DocumentNode): OperationDefinitionNode {
    return doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  }

  /** The selection sets of `... on type` under `_entities` of an entity fetch. */
  private entitySets(fetch: FetchNode, type: string): SelectionSetNode[] {
    const op = RewriteContext.operationOf(this.doc(fetch));
    const out: SelectionSetNode[] = [];
    for (const s of op.selectionSet.selections) {
      if (s.kind !== Kind.FIELD || s.name.value !== '_entities' || !s.selectionSet) continue;
      for (const e of s.selectionSet.selections) if (e.kind === Kind.INLINE_FRAGMENT && e.typeCondition?.name.value === type) out.push(e.selectionSet);
    }
    return out;
  }

  /**
   * The selection sets at a response path (no `@`) in a fetch's operation, and the field nodes found there.
   * A root fetch starts at its root selection set; an entity fetch under Flatten path `flat` starts at its
   * `_entities` entries when `flat` is a prefix of `path`.
   */
  private fieldsAt(entry: PlannedFetch, path: readonly string[]): { parent: SelectionSetNode; field: FieldNode }[] {
    const flat = entry.flatten ? normalize(entry.flatten.path) : [];
    if (flat.length > path.length || flat.some((p, i) => p !== path[i])) return [];
    if (entry.fetch.requires && !entry.flatten) return [];
    const rest = path.slice(flat.length);
    if (rest.length === 0) return [];
    let sets: SelectionSetNode[];
    const op = RewriteContext.operationOf(this.doc(entry.fetch));
    if (entry.fetch.requires) {
      sets = [];
      for (const s of op.selectionSet.selections) {
        if (s.kind === Kind.FIELD && s.name.value === '_entities' && s.selectionSet) sets.push(s.selectionSet);
      }
    } else {
      sets = [op.selectionSet];
    }
    let found: { parent: SelectionSetNode; field: FieldNode }[] = [];
    for (const [i, name] of rest.entries()) {
      found = [];
      const visitSet = (set: SelectionSetNode): void => {
        for (const s of set.selections) {
          if (s.kind === Kind.FIELD && responseKey(s) === name) found.push({ parent: set, field: s });
          else if (s.kind === Kind.INLINE_FRAGMENT) visitSet(s.selectionSet);
        }
      };
      for (const set of sets) visitSet(set);
      if (i < rest.length - 1) sets = found.flatMap((f) => (f.field.selectionSet ? [f.field.selectionSet] : []));
    }
    return found;
  }

  /** The client's field nodes at a response path (no `@`), through fragments. */
  private clientFieldsAt(path: readonly string[]): FieldNode[] {
    let sets: SelectionSetNode[] = [this.operation.selectionSet];
    let found: FieldNode[] = [];
    for (const [i, name] of path.entries()) {
      found = [];
      const visitSet = (set: SelectionSetNode): void => {
        for (const s of set.selections) {
          if (s.kind === Kind.FIELD && responseKey(s) === name) found.push(s);
          else if (s.kind === Kind.INLINE_FRAGMENT) visitSet(s.selectionSet);
          else if (s.kind === Kind.FRAGMENT_SPREAD) {
            const f = this.fragments.get(s.name.value);
            if (f) visitSet(f.selectionSet);
          }
        }
      };
      for (const set of sets) visitSet(set);
      if (i < path.length - 1) sets = found.flatMap((f) => (f.selectionSet ? [f.selectionSet] : []));
    }
    return found;
  }

  /** Field names directly selected (through fragments) by the client's fields at `path`. */
  private clientSubfields(path: readonly string[]): Set<string> {
    const names = new Set<string>();
    const visitSet = (set: SelectionSetNode): void => {
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) names.add(s.name.value);
        else if (s.kind === Kind.INLINE_FRAGMENT) visitSet(s.selectionSet);
        else {
          const f = this.fragments.get(s.name.value);
          if (f) visitSet(f.selectionSet);
        }
      }
    };
    for (const f of this.clientFieldsAt(path)) if (f.selectionSet) visitSet(f.selectionSet);
    return names;
  }

  /** Field names an entity fetch asks for, per type condition. */
  private fetchedFields(fetch: FetchNode): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const op = RewriteContext.operationOf(this.doc(fetch));
    for (const s of op.selectionSet.selections) {
      if (s.kind !== Kind.FIELD || s.name.value !== '_entities' || !s.selectionSet) continue;
      for (const e of s.selectionSet.selections) {
        if (e.kind !== Kind.INLINE_FRAGMENT || !e.typeCondition) continue;
        const type = e.typeCondition.name.value;
        const names = out.get(type) ?? [];
        for (const f of e.selectionSet.selections) if (f.kind === Kind.FIELD && f.name.value !== '__typename') names.push(f.name.value);
        out.set(type, names);
      }
    }
    return out;
  }

  /** Whether `service` can resolve `type.field` (declared there and not `@external`). */
  private resolvableIn(service: string, type: string, field: string): boolean {
    const entries = this.join.fieldGraphs.get(`${type}.${field}`);
    if (!entries) return this.join.typeGraphs.get(type)?.has(service) ?? false;
    return entries.some((e) => e.service === service && !e.external);
  }

  // ---- 1. keys-mashup ---------------------------------------------------------------------------------------

  /**
   * Entity fetches whose representation carries no key the target subgraph can resolve get one it can, and
   * the earliest earlier fetch reaching those entities (in a subgraph that resolves the key's fields) selects it.
   * @returns whether anything changed.
   */
  fixKeys(): boolean {
    let changed = false;
    for (const entry of this.fetches) {
      const { fetch, flatten } = entry;
      if (!fetch.requires || !flatten) continue;
      for (const [index, frag] of fetch.requires.entries()) {
        if (frag.kind !== 'InlineFragment' || !frag.typeCondition) continue;
        const type = frag.typeCondition;
        const keys = this.join.keys.get(type)?.get(fetch.serviceName) ?? [];
        const resolvable = keys.filter((k) => k.resolvable);
        if (resolvable.length === 0 || resolvable.length === keys.length) continue;
        if (resolvable.some((k) => containsSelection(frag.selections, parseFieldSet(k.fields)))) continue;
        const key = parseFieldSet(resolvable[0]!.fields);
        // Keep __typename and what the fetched fields' @requires need; swap the planner's key for a resolvable one.
        const needed = new Set<string>(['__typename']);
        for (const field of this.fetchedFields(fetch).get(type) ?? []) {
          const req = this.join.requires.get(`${type}.${field}`)?.get(fetch.serviceName);
          if (req) for (const s of parseFieldSet(req).selections) if (s.kind === Kind.FIELD) needed.add(s.name.value);
        }
        const kept = frag.selections.filter((s) => s.kind === 'Field' && needed.has(s.name));
        fetch.requires[index] = { ...frag, selections: mergePlanSelections(kept, toPlanSelections(key)) };
        const target = normalize(flatten.path);
        const producer = this.fetches.find(
          (p) => p.order < entry.order && this.fieldsAt(p, target).length > 0 && key.selections.every((s) => s.kind !== Kind.FIELD || this.resolvableIn(p.fetch.serviceName, type, s.name.value)),
        );
        if (!producer) continue;
        for (const { field } of this.fieldsAt(producer, target)) {
          if (field.selectionSet) (field.selectionSet as Mutable<SelectionSetNode>).selections = mergeSelections(field.selectionSet.selections, key.selections);
        }
        changed = true;
      }
    }
    return changed;
  }

  // ---- 2./3. @requires with arguments -------------------------------------------------------------------------

  /**
   * Gives `@requires` fields with arguments their own aliases where their response key is shared with another
   * variant (the client's or another `@requires`'), points later fetches through them at the alias, and splits
   * entity fetches whose fields need different variants.
   * @returns whether anything changed.
   */
  fixRequiresArguments(): boolean {
    const demands: Demand[] = [];
    for (const entry of this.fetches) {
      if (!entry.fetch.requires || !entry.flatten) continue;
      for (const [type, fields] of this.fetchedFields(entry.fetch)) {
        for (const field of fields) {
          const req = this.join.requires.get(`${type}.${field}`)?.get(entry.fetch.serviceName);
          if (!req?.includes('(')) continue;
          const walk = (set: SelectionSetNode, q: string[]): void => {
            for (const s of set.selections) {
              if (s.kind !== Kind.FIELD) {
                if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet, q);
                continue;
              }
              const at = [...q, s.name.value];
              if (s.arguments?.length) demands.push({ consumer: entry, type, field, q: at, node: s, sig: printArgs(s.arguments) });
              if (s.selectionSet) walk(s.selectionSet, at);
            }
          };
          walk(parseFieldSet(req), []);
        }
      }
    }
    if (demands.length === 0) return false;

    // Group by location (absolute path of the required field) and find the conflicting ones.
    const byLocation = new Map<string, Demand[]>();
    for (const d of demands) {
      const loc = [...normalize(d.consumer.flatten!.path), ...d.q].join('.');
      byLocation.set(loc, [...(byLocation.get(loc) ?? []), d]);
    }
    /** location → sig → alias */
    const aliases = new Map<string, Map<string, string>>();
    for (const [loc, list] of byLocation) {
      const path = loc.split('.');
      const firstConsumer = Math.min(...list.map((d) => d.consumer.order));
      const producers = this.fetches.filter((p) => p.order < firstConsumer && this.fieldsAt(p, path).length > 0);
      if (producers.length === 0) continue;
      const sigs = new Set(list.map((d) => d.sig));
      const client = this.clientFieldsAt(path).filter((f) => f.name.value === path[path.length - 1]);
      const clientSig = client.length > 0 ? printArgs(client[0]!.arguments) : undefined;
      const produced = producers.flatMap((p) => this.fieldsAt(p, path).map((f) => printArgs(f.field.arguments)));
      const conflict = sigs.size > 1 || (clientSig !== undefined && !sigs.has(clientSig)) || produced.some((s) => !sigs.has(s) && s !== clientSig);
      if (!conflict) continue;
      const bySig = new Map<string, string>();
      for (const d of list) if (!bySig.has(d.sig)) bySig.set(d.sig, `_roam_${d.q[d.q.length - 1]}_${createHash('sha256').update(d.sig).digest('hex').slice(0, 8)}`);
      aliases.set(loc, bySig);
      // Producers: one aliased copy per variant; the original key keeps (or gets back) the client's arguments.
      for (const producer of producers) {
        for (const { parent, field } of this.fieldsAt(producer, path)) {
          const selections = [...parent.selections];
          const at = selections.indexOf(field);
          const copies: FieldNode[] = [];
          for (const [sig, alias] of bySig) {
            const d = list.find((x) => x.sig === sig)!;
            copies.push({ ...field, alias: { kind: Kind.NAME, value: alias }, arguments: d.node.arguments, selectionSet: field.selectionSet && structuredClone(field.selectionSet) });
          }
          if (clientSig !== undefined && printArgs(field.arguments) !== clientSig) {
            (field as Mutable<FieldNode>).arguments = client[0]!.arguments;
            this.addVariables(producer, client[0]!.arguments ?? []);
          }
          selections.splice(at + 1, 0, ...copies);
          (parent as Mutable<SelectionSetNode>).selections = selections;
        }
      }
      // Later fetches through the location: a copy per variant, at the alias; the original only if the client needs it.
      for (const later of this.fetches) {
        if (!later.flatten || later.order <= Math.max(...producers.map((p) => p.order))) continue;
        const flat = normalize(later.flatten.path);
        if (flat.length < path.length || path.some((p, i) => p !== flat[i])) continue;
        const wanted = new Set([...this.fetchedFields(later.fetch).values()].flat());
        const clientNeeds = [...this.clientSubfields(flat)].some((f) => wanted.has(f));
        const nodes: PlanNode[] = [];
        if (clientNeeds) nodes.push(later.flatten);
        for (const alias of bySig.values()) {
          nodes.push({ kind: 'Flatten', path: aliasPath(later.flatten.path, path.length - 1, alias), node: this.cloneFetch(later.fetch) });
        }
        this.replacements.set(later.flatten, nodes.length === 1 ? nodes[0]! : { kind: 'Parallel', nodes });
      }
    }
    if (aliases.size === 0) return false;

    // Consumers: group their fields so that one fetch reads one variant per location; each group reads its aliases.
    const consumers = new Set(demands.filter((d) => aliases.has([...normalize(d.consumer.flatten!.path), ...d.q].join('.'))).map((d) => d.consumer));
    for (const consumer of consumers) {
      const flat = normalize(consumer.flatten!.path);
      const mine = demands.filter((d) => d.consumer === consumer);
      const locOf = (d: Demand): string => [...flat, ...d.q].join('.');
      const groups: { fields: Set<string>; variants: Map<string, Demand> }[] = [];
      for (const [type, fields] of this.fetchedFields(consumer.fetch)) {
        for (const field of fields) {
          const needs = mine.filter((d) => d.type === type && d.field === field && aliases.has(locOf(d)));
          const group =
            groups.find((g) => needs.every((d) => !g.variants.has(locOf(d)) || g.variants.get(locOf(d))!.sig === d.sig)) ?? groups[groups.push({ fields: new Set(), variants: new Map() }) - 1]!;
          group.fields.add(`${type}.${field}`);
          for (const d of needs) group.variants.set(locOf(d), d);
        }
      }
      const fetches = groups.map((group) => this.consumerFetch(consumer.fetch, group.fields, group.variants, aliases));
      const node: PlanNode = fetches.length === 1 ? { ...consumer.flatten!, node: fetches[0]! } : { kind: 'Parallel', nodes: fetches.map((f) => ({ ...consumer.flatten!, node: f })) };
      this.replacements.set(consumer.flatten!, node);
    }
    return true;
  }

  /** Adds the client's variable definitions an argument list uses to a fetch's operation. */
  private addVariables(entry: PlannedFetch, args: readonly ArgumentNode[]): void {
    const names = new Set<string>();
    const visit = (v: ValueNode): void => {
      if (v.kind === Kind.VARIABLE) names.add(v.name.value);
      else if (v.kind === Kind.LIST) v.values.forEach(visit);
      else if (v.kind === Kind.OBJECT) v.fields.forEach((f) => visit(f.value));
    };
    for (const a of args) visit(a.value);
    if (names.size === 0) return;
    const op = RewriteContext.operationOf(this.doc(entry.fetch)) as Mutable<OperationDefinitionNode>;
    const defs: VariableDefinitionNode[] = [...(op.variableDefinitions ?? [])];
    const usages = (entry.fetch as Mutable<FetchNode>).variableUsages ?? [];
    for (const name of names) {
      if (defs.some((d) => d.variable.name.value === name)) continue;
      const def = this.operation.variableDefinitions?.find((d) => d.variable.name.value === name);
      if (def) defs.push(def);
      if (!usages.includes(name)) usages.push(name);
    }
    op.variableDefinitions = defs;
    (entry.fetch as Mutable<FetchNode>).variableUsages = usages;
    // An anonymous `{ ... }` with variables must become `query (...) { ... }`: print does that from the definitions.
  }

  /** One entity fetch of a split consumer: only `fields`, reading each aliased variant and renaming it back. */
  private consumerFetch(original: FetchNode, fields: Set<string>, variants: Map<string, Demand>, aliases: Map<string, Map<string, string>>): FetchNode {
    const fetch = structuredClone(original) as Mutable<FetchNode>;
    const doc = structuredClone(this.doc(original));
    const op = RewriteContext.operationOf(doc);
    const allFields = this.fetchedFields(original);
    const otherFields = [...allFields].flatMap(([type, names]) => names.filter((n) => !fields.has(`${type}.${n}`)).map((n) => `${type}.${n}`));
    for (const s of op.selectionSet.selections) {
      if (s.kind !== Kind.FIELD || s.name.value !== '_entities' || !s.selectionSet) continue;
      const entities = s.selectionSet as Mutable<SelectionSetNode>;
      entities.selections = entities.selections.flatMap((e): SelectionNode[] => {
        if (e.kind !== Kind.INLINE_FRAGMENT || !e.typeCondition) return [e];
        const type = e.typeCondition.name.value;
        const kept = e.selectionSet.selections.filter((f) => f.kind !== Kind.FIELD || f.name.value === '__typename' || fields.has(`${type}.${f.name.value}`));
        if (!kept.some((f) => f.kind === Kind.FIELD && f.name.value !== '__typename')) return [];
        return [{ ...e, selectionSet: { ...e.selectionSet, selections: kept } }];
      });
    }
    fetch.operation = print(doc);
    delete fetch.operationDocumentNode;
    // Representations: drop what only the other groups' @requires need (never key fields), alias the variants.
    const rewrites: FetchDataRewrite[] = [...(fetch.inputRewrites ?? [])];
    fetch.requires = (fetch.requires ?? []).map((frag) => {
      if (frag.kind !== 'InlineFragment' || !frag.typeCondition) return frag;
      const type = frag.typeCondition;
      const topNames = (coords: string[]): Set<string> => {
        const names = new Set<string>();
        for (const c of coords) {
          if (!c.startsWith(`${type}.`)) continue;
          const req = this.join.requires.get(c)?.get(original.serviceName);
          if (req) for (const s of parseFieldSet(req).selections) if (s.kind === Kind.FIELD) names.add(s.name.value);
        }
        return names;
      };
      const mineNames = topNames([...fields]);
      const keyNames = new Set(
        (this.join.keys.get(type)?.get(original.serviceName) ?? []).flatMap((k) => parseFieldSet(k.fields).selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []))),
      );
      const onlyOthers = [...topNames(otherFields)].filter((n) => !mineNames.has(n) && !keyNames.has(n));
      let selections = frag.selections.filter((s) => s.kind !== 'Field' || !onlyOthers.includes(s.name));
      for (const [loc, d] of variants) {
        if (d.type !== type) continue;
        const alias = aliases.get(loc)?.get(d.sig);
        if (!alias) continue;
        selections = aliasPlanSelection(selections, d.q, alias);
        rewrites.push({ kind: 'KeyRenamer', path: [`... on ${type}`, ...d.q.slice(0, -1), alias], renameKeyTo: d.q[d.q.length - 1]! });
      }
      return { ...frag, selections };
    });
    fetch.inputRewrites = rewrites;
    return fetch;
  }
}

/** `path` (a Flatten path) with the element at normalized index `index` replaced by `alias` (type suffix kept). */
function aliasPath(path: readonly (string | number)[], index: number, alias: string): (string | number)[] {
  let n = -1;
  return path.map((p) => {
    if (p === '@') return p;
    n++;
    return n === index ? String(p).replace(/^[^|]*/, alias) : p;
  });
}

/** `selections` with the field at response path `q` read from `alias` (copies along the path). */
function aliasPlanSelection(selections: readonly PlanSel[], q: readonly string[], alias: string): PlanSel[] {
  return selections.map((s) => {
    if (s.kind !== 'Field' || (s.alias ?? s.name) !== q[0]) return s.kind === 'InlineFragment' ? { ...s, selections: aliasPlanSelection(s.selections, q, alias) } : s;
    if (q.length === 1) return { ...s, alias };
    return { ...s, selections: aliasPlanSelection(s.selections ?? [], q.slice(1), alias) };
  });
}

/** Whether plan selections contain every field of a field set (by name, recursively). */
function containsSelection(selections: readonly PlanSel[], set: SelectionSetNode): boolean {
  return set.selections.every((s) => {
    if (s.kind !== Kind.FIELD) return true;
    const found = selections.find((p) => p.kind === 'Field' && p.name === s.name.value && p.alias === undefined) as (PlanSel & { kind: 'Field' }) | undefined;
    if (!found) return false;
    return !s.selectionSet || containsSelection(found.selections ?? [], s.selectionSet);
  });
}

function toPlanSelections(set: SelectionSetNode): PlanSel[] {
  return set.selections.flatMap((s): PlanSel[] => {
    if (s.kind === Kind.FIELD) return [{ kind: 'Field', name: s.name.value, ...(s.selectionSet ? { selections: toPlanSelections(s.selectionSet) } : {}) }];
    if (s.kind === Kind.INLINE_FRAGMENT) return [{ kind: 'InlineFragment', typeCondition: s.typeCondition?.name.value, selections: toPlanSelections(s.selectionSet) }];
    return [];
  });
}

function mergePlanSelections(a: readonly PlanSel[], b: readonly PlanSel[]): PlanSel[] {
  const out = [...a];
  for (const s of b) {
    if (s.kind !== 'Field') {
      out.push(s);
      continue;
    }
    const i = out.findIndex((o) => o.kind === 'Field' && o.name === s.name && o.alias === s.alias);
    if (i < 0) out.push(s);
    else if (s.selections) out[i] = { ...(out[i] as PlanSel & { kind: 'Field' }), selections: mergePlanSelections((out[i] as PlanSel & { kind: 'Field' }).selections ?? [], s.selections) };
  }
  return out;
}

function mergeSelections(a: readonly SelectionNode[], b: readonly SelectionNode[]): SelectionNode[] {
  const out = [...a];
  for (const s of b) {
    if (s.kind !== Kind.FIELD) {
      out.push(s);
      continue;
    }
    const i = out.findIndex((o) => o.kind === Kind.FIELD && responseKey(o) === responseKey(s));
    if (i < 0) out.push(s);
    else if (s.selectionSet) {
      const existing = out[i] as FieldNode;
      out[i] = { ...existing, selectionSet: { kind: Kind.SELECTION_SET, selections: mergeSelections(existing.selectionSet?.selections ?? [], s.selectionSet.selections) } };
    }
  }
  return out;
}

/**
 * Whether an operation whose plan is empty still asks for data a plan should have fetched: any field besides
 * `__typename` and root introspection, not skipped by `@skip`/`@include` under the request's variables. The
 * planner answers an operation it cannot plan (non-resolvable-interface-object: a field only an interface
 * object with a non-resolvable key has) with an empty plan; run as it is, that is `data: null` with no error.
 *
 * @throws RoamError `QUERY_PLANNING_FAILED` (400) when it does.
 */
export function assertEmptyPlanAllowed(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const included = (s: SelectionNode): boolean => {
    for (const d of s.directives ?? []) {
      if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
      const arg = d.arguments?.find((a) => a.name.value === 'if')?.value;
      const value = arg?.kind === Kind.BOOLEAN ? arg.value : arg?.kind === Kind.VARIABLE ? Boolean(variables[arg.name.value]) : true;
      if (d.name.value === 'skip' ? value : !value) return false;
    }
    return true;
  };
  const asksData = (set: SelectionSetNode): boolean =>
    set.selections.some((s) => {
      if (!included(s)) return false;
      if (s.kind === Kind.FIELD) return s.name.value !== '__typename' && s.name.value !== '__schema' && s.name.value !== '__type';
      if (s.kind === Kind.INLINE_FRAGMENT) return asksData(s.selectionSet);
      const f = fragments.get(s.name.value);
      return f !== undefined && asksData(f.selectionSet);
    });
  if (asksData(operation.selectionSet)) {
    throw roamError('QUERY_PLANNING_FAILED', 'The operation cannot be planned: the supergraph has no subgraph that can resolve some of its fields.');
  }
}
