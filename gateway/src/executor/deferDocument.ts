import { ownValue } from './setOwnKey';
import {
  Kind,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  visit,
  type ArgumentNode,
  type ASTVisitor,
  type FragmentSpreadNode,
  type InlineFragmentNode,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

type Obj = Record<string, unknown>;
type Variables = Readonly<Record<string, unknown>>;

/** Prefix of the labels Roam gives to `@defer` fragments the client left unlabeled; never sent to clients. */
export const GENERATED_LABEL_PREFIX = '__roam_defer_';

const labeled = new WeakMap<DocumentNode, DocumentNode>();
const stripped = new WeakMap<DocumentNode, DocumentNode>();
const strippedSets = new WeakMap<SelectionSetNode, SelectionSetNode>();

/** @returns the `@defer` directive of a selection, if any. */
function deferDirective(node: { readonly directives?: readonly DirectiveNode[] }): DirectiveNode | undefined {
  return node.directives?.find((d) => d.name.value === 'defer');
}

function argument(directive: DirectiveNode, name: string): ArgumentNode | undefined {
  return directive.arguments?.find((a) => a.name.value === name);
}

/**
 * Whether a selection is deferred in this execution: it carries `@defer` and its `if` argument is not false
 * (GraphQL incremental delivery RFC: `if: false` means the fragment is not deferred).
 */
export function isDeferred(node: { readonly directives?: readonly DirectiveNode[] }, variables: Variables): boolean {
  const directive = deferDirective(node);
  if (!directive) return false;
  const cond = argument(directive, 'if');
  if (!cond) return true;
  if (cond.value.kind === Kind.BOOLEAN) return cond.value.value;
  if (cond.value.kind === Kind.VARIABLE) return variables[cond.value.name.value] !== false;
  return true;
}

/** @returns the label of a `@defer` selection (a static string), or undefined. */
export function deferLabel(node: { readonly directives?: readonly DirectiveNode[] }): string | undefined {
  const directive = deferDirective(node);
  const label = directive && argument(directive, 'label');
  return label?.value.kind === Kind.STRING ? label.value.value : undefined;
}

/** @returns the label to send to the client: the client's own, never a generated one. */
export function clientLabel(label: string | undefined): string | undefined {
  return label === undefined || label.startsWith(GENERATED_LABEL_PREFIX) ? undefined : label;
}

/** @returns whether the document uses `@defer` anywhere (a cheap scan, no copy). */
export function usesDefer(document: DocumentNode): boolean {
  return hasDeferDirective(document);
}

const deferUse = new WeakMap<DocumentNode, boolean>();
function hasDeferDirective(document: DocumentNode): boolean {
  let found = deferUse.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Directive(node) {
        if (node.name.value === 'defer') found = true;
      },
    });
    deferUse.set(document, found);
  }
  return found;
}

/**
 * The document with a unique label on every `@defer` that has none (`__roam_defer_<n>`, in document order),
 * so the query plan's `Deferred` nodes can be matched to the document's fragments by label. Cached per
 * document; a document without `@defer` (or whose every `@defer` is labeled) is returned as it is.
 */
export function labelDefers(document: DocumentNode): DocumentNode {
  let out = labeled.get(document);
  if (out) return out;
  out = document;
  if (hasDeferDirective(document)) {
    let n = 0;
    let changed = false;
    out = visit(document, {
      Directive(node) {
        if (node.name.value !== 'defer' || argument(node, 'label')) return undefined;
        changed = true;
        const label: ArgumentNode = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'label' }, value: { kind: Kind.STRING, value: `${GENERATED_LABEL_PREFIX}${n++}` } };
        return { ...node, arguments: [...(node.arguments ?? []), label] };
      },
    });
    if (!changed) out = document;
  }
  labeled.set(document, out);
  return out;
}

/** Whether a document's deferral depends on variables (`@defer(if: $var)`): then stripped copies are not cached. */
function hasVariableIf(node: DocumentNode | SelectionSetNode): boolean {
  let found = false;
  visit(node, {
    Directive(d) {
      if (d.name.value === 'defer' && argument(d, 'if')?.value.kind === Kind.VARIABLE) found = true;
    },
  });
  return found;
}

function stripVisitor(variables: Variables): ASTVisitor {
  return {
    InlineFragment: (node: InlineFragmentNode) => (isDeferred(node, variables) ? null : undefined),
    FragmentSpread: (node: FragmentSpreadNode) => (isDeferred(node, variables) ? null : undefined),
  };
}

/**
 * The document without its deferred fragments (inline fragments and spreads with an active `@defer`): what
 * the initial payload is shaped with (incremental delivery: the initial payload holds only non-deferred fields).
 */
export function withoutDeferred(document: DocumentNode, variables: Variables): DocumentNode {
  const cached = stripped.get(document);
  if (cached) return cached;
  const out = visit(document, stripVisitor(variables)) as DocumentNode;
  if (!hasVariableIf(document)) stripped.set(document, out);
  return out;
}

/** A selection set without its nested deferred fragments: what one deferred payload is shaped with. */
export function selectionWithoutDeferred(set: SelectionSetNode, variables: Variables): SelectionSetNode {
  const cached = strippedSets.get(set);
  if (cached) return cached;
  const out = visit(set, stripVisitor(variables)) as SelectionSetNode;
  if (!hasVariableIf(set)) strippedSets.set(set, out);
  return out;
}

/** One place in the response a deferred fragment applies to. */
export interface DeferredInstance {
  /** Path of the object in the response (list indexes filled in): the incremental payload's `path`. */
  readonly path: readonly (string | number)[];
  /** The object's runtime type. */
  readonly type: GraphQLObjectType | GraphQLInterfaceType;
  /** The fragment's selection set (deferred fragments nested in it still in place). */
  readonly selectionSet: SelectionSetNode;
  /** The merged (unshaped) data of the object. */
  readonly source: Obj;
}

/**
 * Finds where the deferred fragment labeled `label` applies in the merged data: walks the (labeled)
 * operation over the data as GraphQL's CollectFields would, honouring `@skip`/`@include` and type
 * conditions, and returns one instance per object (a fragment inside a list applies once per item).
 *
 * @param schema - the API schema.
 * @param document - the labeled document ({@link labelDefers}).
 * @param operation - the labeled document's operation.
 * @param variables - coerced variables.
 * @param data - the merged data from the executor.
 * @param label - the label of a `Deferred` plan node.
 * @returns the instances, in response order; empty when the fragment's parent is absent (null data).
 */
export function locateDeferred(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables, data: Obj, label: string): DeferredInstance[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const rootType = schema.getRootType(operation.operation);
  const out: DeferredInstance[] = [];
  const seen = new Set<string>();
  if (!rootType) return out;

  const matches = (condition: string | undefined, type: GraphQLObjectType | GraphQLInterfaceType): boolean => {
    if (condition === undefined || condition === type.name) return true;
    const c = schema.getType(condition);
    return !!c && isAbstractType(c) && schema.isSubType(c, type as never);
  };
  const included = (node: { readonly directives?: readonly DirectiveNode[] }): boolean => {
    for (const d of node.directives ?? []) {
      if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
      const arg = argument(d, 'if');
      if (!arg) continue;
      const v = arg.value.kind === Kind.VARIABLE ? Boolean(variables[arg.value.name.value]) : arg.value.kind === Kind.BOOLEAN && arg.value.value;
      if (d.name.value === 'skip' ? v : !v) return false;
    }
    return true;
  };
  const record = (type: GraphQLObjectType | GraphQLInterfaceType, selectionSet: SelectionSetNode, source: Obj, path: (string | number)[]): void => {
    const key = JSON.stringify(path);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path: [...path], type, selectionSet, source });
  };
  const walk = (type: GraphQLObjectType | GraphQLInterfaceType, set: SelectionSetNode, source: Obj, path: (string | number)[]): void => {
    for (const sel of set.selections) {
      if (!included(sel)) continue;
      if (sel.kind === Kind.FIELD) {
        const def = type.getFields()[sel.name.value];
        if (!def || !sel.selectionSet) continue;
        const key = sel.alias?.value ?? sel.name.value;
        path.push(key);
        descend(def.type, sel.selectionSet, ownValue(source, key), path);
        path.pop();
        continue;
      }
      const frag = sel.kind === Kind.INLINE_FRAGMENT ? sel : fragments.get(sel.name.value);
      if (!frag || !matches(frag.typeCondition?.name.value, type)) continue;
      if (isDeferred(sel, variables) && deferLabel(sel) === label) record(type, frag.selectionSet, source, path);
      else walk(type, frag.selectionSet, source, path);
    }
  };
  const descend = (type: GraphQLOutputType, set: SelectionSetNode, value: unknown, path: (string | number)[]): void => {
    if (isNonNullType(type)) return descend(type.ofType, set, value, path);
    if (value === null || value === undefined || typeof value !== 'object') return;
    if (isListType(type)) {
      if (!Array.isArray(value)) return;
      value.forEach((item, i) => {
        path.push(i);
        descend(type.ofType, set, item, path);
        path.pop();
      });
      return;
    }
    const named = getNamedType(type);
    if (!isCompositeType(named)) return;
    let runtime: GraphQLObjectType | GraphQLInterfaceType | undefined;
    if (isObjectType(named)) runtime = named;
    else {
      const name = (value as Obj).__typename;
      const t = typeof name === 'string' ? schema.getType(name) : undefined;
      runtime = t && (isObjectType(t) || isInterfaceType(t)) ? t : isInterfaceType(named) ? named : undefined;
    }
    if (runtime) walk(runtime, set, value as Obj, path);
  };
  walk(rootType, operation.selectionSet, data, []);
  return out;
}

/** @returns the operation of a labeled document with the same name as `operation` (or the only one). */
export function labeledOperation(document: DocumentNode, operation: OperationDefinitionNode): OperationDefinitionNode {
  const name = operation.name?.value;
  for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name) return d;
  return operation;
}
