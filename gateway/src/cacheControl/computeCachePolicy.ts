import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type ConstDirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { CacheHintConfig } from '../config';

/** A cache hint: Apollo Server's `@cacheControl(maxAge, scope, inheritMaxAge)`. */
export type CacheHint = CacheHintConfig;

/** The policy of a whole response: the smallest `maxAge` (seconds) of its hinted parts, `PRIVATE` if any part is. */
export interface CachePolicy {
  /** Seconds; `undefined` when nothing in the operation set one (not cacheable). */
  readonly maxAge: number | undefined;
  readonly scope: 'PUBLIC' | 'PRIVATE';
}

interface MutablePolicy {
  maxAge: number | undefined;
  scope: 'PUBLIC' | 'PRIVATE' | undefined;
}

function replace(policy: MutablePolicy, hint: CacheHint): void {
  if (hint.maxAge !== undefined) policy.maxAge = hint.maxAge;
  if (hint.scope !== undefined) policy.scope = hint.scope;
}

function restrict(policy: MutablePolicy, hint: { maxAge?: number | undefined; scope?: 'PUBLIC' | 'PRIVATE' | undefined }): void {
  if (hint.maxAge !== undefined && (policy.maxAge === undefined || hint.maxAge < policy.maxAge)) policy.maxAge = hint.maxAge;
  if (hint.scope === 'PRIVATE') policy.scope = 'PRIVATE';
}

function hintFromDirectives(directives: readonly ConstDirectiveNode[] | undefined): CacheHint | undefined {
  const directive = directives?.find((d) => d.name.value === 'cacheControl');
  if (!directive) return undefined;
  const hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE'; inheritMaxAge?: boolean } = {};
  for (const arg of directive.arguments ?? []) {
    if (arg.name.value === 'maxAge' && arg.value.kind === Kind.INT) hint.maxAge = Number.parseInt(arg.value.value, 10);
    if (arg.name.value === 'scope' && arg.value.kind === Kind.ENUM && (arg.value.value === 'PUBLIC' || arg.value.value === 'PRIVATE')) hint.scope = arg.value.value;
    if (arg.name.value === 'inheritMaxAge' && arg.value.kind === Kind.BOOLEAN && arg.value.value) hint.inheritMaxAge = true;
  }
  return hint.inheritMaxAge ? { inheritMaxAge: true, ...(hint.scope ? { scope: hint.scope } : {}) } : hint;
}

function typeHint(type: GraphQLNamedType, hints: Readonly<Record<string, CacheHint>>): CacheHint {
  const configured = hints[type.name];
  if (configured) return configured;
  return hintFromDirectives(type.astNode?.directives) ?? type.extensionASTNodes.map((n) => hintFromDirectives(n.directives)).find(Boolean) ?? {};
}

function fieldHint(parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>, hints: Readonly<Record<string, CacheHint>>): CacheHint {
  return hints[`${parent.name}.${field.name}`] ?? hintFromDirectives(field.astNode?.directives) ?? {};
}

/**
 * Computes the cache policy of a query before it runs, from the fields it selects, with Apollo Server's
 * cache-control rules (`@apollo/server/plugin/cacheControl`, "Calculating cache behavior"): a field's hint, or
 * else its composite return type's hint, applies; a root field or a field returning a composite type with
 * no hint gets `maxAge` 0 (Apollo's `defaultMaxAge`) unless it inherits (`inheritMaxAge`); scalar fields
 * without a hint inherit. The response's policy is the smallest `maxAge`, and `PRIVATE` if any hint says so.
 *
 * Hints come from `hints` (keys `"Type"` or `"Type.field"`) first, then from `@cacheControl` directives kept
 * in the (API) schema. Being static, it takes no dynamic hints (`info.cacheControl.setCacheHint`) and, on
 * abstract types, counts every fragment's fields.
 *
 * @param schema - the API schema the document was validated against.
 * @param document - the validated document (fragments are looked up in it).
 * @param operation - the operation to run, one of the document's definitions.
 */
export function computeCachePolicy(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, hints: Readonly<Record<string, CacheHint>>): CachePolicy {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const visitedFragments = new Set<string>();
  const overall: MutablePolicy = { maxAge: undefined, scope: undefined };
  const root = schema.getRootType(operation.operation);
  if (!root) return { maxAge: undefined, scope: 'PUBLIC' };

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, isRoot: boolean): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const field = parent.getFields()[name];
        if (!field) continue;
        const target = getNamedType(field.type);
        const policy: MutablePolicy = { maxAge: undefined, scope: undefined };
        let inherit = false;
        if (isCompositeType(target)) {
          const hint = typeHint(target, hints);
          replace(policy, hint);
          inherit = hint.inheritMaxAge === true;
        }
        const hint = fieldHint(parent, field, hints);
        if (hint.inheritMaxAge && policy.maxAge === undefined) {
          inherit = true;
          if (hint.scope) policy.scope = hint.scope;
        } else {
          replace(policy, hint);
        }
        if (policy.maxAge === undefined && ((isCompositeType(target) && !inherit) || isRoot)) restrict(policy, { maxAge: 0 });
        restrict(overall, policy);
        if (selection.selectionSet && isCompositeType(target)) walk(selection.selectionSet, target, false);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) walk(selection.selectionSet, type, isRoot);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visitedFragments.has(name)) continue;
        visitedFragments.add(name);
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) walk(fragment.selectionSet, type, isRoot);
      }
    }
  };
  walk(operation.selectionSet, root, true);
  return { maxAge: overall.maxAge, scope: overall.scope ?? 'PUBLIC' };
}
