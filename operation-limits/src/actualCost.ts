import {
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { costDirectivesOf, type CostDirectives } from './costDirectives';

/** Options of {@link actualCost}. */
export interface ActualCostOptions {
  /** The operation's coerced variables (for `@skip`/`@include`). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Cost added once to a mutation (as in {@link estimateCost}). @default 10 */
  readonly mutationCost?: number;
  /** Most response values visited before giving up (the result is then a lower bound). @default 1000000 */
  readonly maxVisited?: number;
}

/**
 * The actual cost of an executed operation (Apollo Router demand control's "actual cost"): the same rules as
 * {@link estimateCost} (a field costs its `@cost` weight, else its type's, else 1 for an object and 0 for a
 * leaf; a mutation adds `mutationCost`), but applied to the response: a list costs what its items really cost,
 * so a list returned longer than its `@listSize` assumption is charged at its real length, and a null or
 * missing field costs nothing. Argument weights are the estimate's business and are not counted here.
 *
 * @param schema - the cost schema (built from the core supergraph SDL, so the directives are there).
 * @param operation - the executed operation; `fragments` are the document's.
 * @param data - the response's `data`.
 * @returns the cost (a dimensionless count).
 */
export function actualCost(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, data: unknown, options: ActualCostOptions): number {
  const directives: CostDirectives = costDirectivesOf(schema);
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root || data === null || typeof data !== 'object') return 0;
  const max = options.maxVisited ?? 1_000_000;
  let visited = 0;

  const included = (node: Parameters<typeof getDirectiveValues>[1]): boolean =>
    getDirectiveValues(GraphQLSkipDirective, node, options.variables as Record<string, unknown>)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, options.variables as Record<string, unknown>)?.if !== false;

  /** Field nodes of a selection set that apply to an object of `type`, through fragments. */
  const fieldsFor = (selectionSet: SelectionSetNode, type: GraphQLObjectType | GraphQLCompositeType, out: FieldNode[], active: Set<string>): FieldNode[] => {
    for (const s of selectionSet.selections) {
      if (!included(s)) continue;
      if (s.kind === Kind.FIELD) out.push(s);
      else {
        const fragment = s.kind === Kind.INLINE_FRAGMENT ? s : fragments.get(s.name.value);
        if (!fragment || (s.kind === Kind.FRAGMENT_SPREAD && active.has(s.name.value))) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : type;
        const applies = !condition || condition === type || (isAbstractType(condition) && isObjectType(type) && schema.isSubType(condition, type)) || !isObjectType(type);
        if (!applies) continue;
        if (s.kind === Kind.FRAGMENT_SPREAD) active.add(s.name.value);
        fieldsFor(fragment.selectionSet, type, out, active);
        if (s.kind === Kind.FRAGMENT_SPREAD) active.delete(s.name.value);
      }
    }
    return out;
  };

  const objectCost = (selectionSet: SelectionSetNode, type: GraphQLCompositeType, value: Record<string, unknown>): number => {
    // the runtime type, when the response says it (abstract types)
    const typename = value.__typename;
    const runtime = typeof typename === 'string' ? schema.getType(typename) : undefined;
    const concrete = runtime && isObjectType(runtime) ? runtime : type;
    let cost = 0;
    for (const node of fieldsFor(selectionSet, concrete, [], new Set())) {
      if (++visited > max) return cost;
      if (node.name.value.startsWith('__')) continue;
      const field = 'getFields' in concrete ? concrete.getFields()[node.name.value] : undefined;
      if (!field) continue;
      const named = getNamedType(field.type);
      const weight = directives.fieldCost(field) ?? directives.typeCost(named) ?? (isCompositeType(named) ? 1 : 0);
      cost += valueCost(node, named, weight, value[node.alias?.value ?? node.name.value]);
    }
    return cost;
  };

  const valueCost = (node: FieldNode, named: ReturnType<typeof getNamedType>, weight: number, value: unknown): number => {
    if (value === null || value === undefined) return 0;
    if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + valueCost(node, named, weight, item), 0);
    if (node.selectionSet && isCompositeType(named) && typeof value === 'object') return weight + objectCost(node.selectionSet, named, value as Record<string, unknown>);
    return weight;
  };

  return (operation.operation === 'mutation' ? (options.mutationCost ?? 10) : 0) + objectCost(operation.selectionSet, root, data as Record<string, unknown>);
}
