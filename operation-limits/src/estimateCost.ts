import {
  getDirectiveValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isCompositeType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { costDirectivesOf, isListField, type CostDirectives, type ListSize } from './costDirectives';

/** Options of {@link estimateCost}. */
export interface EstimateCostOptions {
  /** The request's variables, as sent (they are coerced against the operation's definitions, defaults included). */
  readonly variables?: Readonly<Record<string, unknown>> | null;
  /** Which operation of the document; may be omitted when the document has one. */
  readonly operationName?: string | null;
  /** Size assumed for a list field with neither a slicing argument value nor `assumedSize`. @default 10 */
  readonly defaultListSize?: number;
  /** Cost added once to a mutation operation (Apollo Router demand control). @default 10 */
  readonly mutationCost?: number;
  /** Most selections the estimator visits (fragments are visited once per spread) before giving up. @default 20000 */
  readonly maxEvaluatedNodes?: number;
}

/** Cost of one root field of the operation (response name, e.g. an alias). */
export interface FieldCost {
  readonly path: string;
  readonly cost: number;
}

/** The result of {@link estimateCost}. */
export interface CostEstimate {
  /** Estimated cost of the operation (a dimensionless count, Apollo Router demand-control units). */
  readonly cost: number;
  readonly breakdown: {
    readonly operationType: 'query' | 'mutation' | 'subscription';
    /** The fixed part: `mutationCost` for a mutation, else 0. */
    readonly operationCost: number;
    /** Each executed root field with its cost; `cost` = `operationCost` + the sum of these. */
    readonly fields: readonly FieldCost[];
  };
  /** Whether another set of variables could give another cost (a variable in a slicing argument, a costed argument or `@skip`/`@include`). */
  readonly dependsOnVariables: boolean;
}

/** Why {@link estimateCost} could not give a cost. */
export type CostEstimationFailure = 'OPERATION_NOT_FOUND' | 'INVALID_VARIABLES' | 'TOO_MANY_NODES' | 'SLICING_ARGUMENT_REQUIRED';

/** Thrown by {@link estimateCost}; `errors` holds the variable coercion errors for `INVALID_VARIABLES`. */
export class CostEstimationError extends Error {
  override readonly name = 'CostEstimationError';
  constructor(
    readonly reason: CostEstimationFailure,
    message: string,
    readonly errors: readonly GraphQLError[] = [],
  ) {
    super(message);
  }
}

interface FieldRecord {
  readonly multiplier: number;
  readonly perInstance: number;
  readonly total: number;
}

function containsVariable(value: ValueNode): boolean {
  switch (value.kind) {
    case Kind.VARIABLE:
      return true;
    case Kind.LIST:
      return value.values.some(containsVariable);
    case Kind.OBJECT:
      return value.fields.some((f) => containsVariable(f.value));
    default:
      return false;
  }
}

function valueAtPath(args: Record<string, unknown>, path: string): unknown {
  let current: unknown = args;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Size of a list field: the largest given slicing argument, else `assumedSize`, else the default
 * (IBM cost spec "@listSize"; Apollo Router demand control).
 */
function listSizeOf(listSize: ListSize | undefined, args: Record<string, unknown>, defaultListSize: number): number {
  if (listSize) {
    const given = listSize.slicingArguments.map((p) => valueAtPath(args, p)).filter((v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0);
    if (given.length > 0) return Math.max(...given);
    if (listSize.assumedSize !== undefined) return listSize.assumedSize;
  }
  return defaultListSize;
}

/** Cost of the given argument values from `@cost` on arguments and input fields (nested inputs and lists included). */
function inputValueCost(directives: CostDirectives, type: GraphQLInputType, value: unknown): number {
  if (value === undefined || value === null) return 0;
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return Array.isArray(value) ? value.reduce<number>((sum, item) => sum + inputValueCost(directives, inner.ofType, item), 0) : inputValueCost(directives, inner.ofType, value);
  let cost = directives.typeCost(getNamedType(inner)) ?? 0;
  if (isInputObjectType(inner) && typeof value === 'object') {
    for (const field of Object.values(inner.getFields())) {
      const fieldValue = (value as Record<string, unknown>)[field.name];
      if (fieldValue === undefined) continue;
      cost += (directives.inputCost(field) ?? 0) + inputValueCost(directives, field.type, fieldValue);
    }
  }
  return cost;
}

/** Whether `@skip`/`@include` on a selection lets it run with these coerced variables (GraphQL spec, "@skip", "@include"). */
function isIncluded(node: { readonly directives?: readonly unknown[] } & Parameters<typeof getDirectiveValues>[1], variables: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  if (getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if === false) return false;
  return true;
}

/** The executed field nodes of a selection set named in `names` (all when `names` is undefined), through fragments. */
function collectFields(
  selectionSet: SelectionSetNode,
  names: ReadonlySet<string> | undefined,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  out: FieldNode[],
  active = new Set<string>(),
): FieldNode[] {
  for (const selection of selectionSet.selections) {
    if (!isIncluded(selection, variables)) continue;
    if (selection.kind === Kind.FIELD) {
      if (!names || names.has(selection.name.value)) out.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectFields(selection.selectionSet, names, fragments, variables, out, active);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || active.has(fragment.name.value)) continue;
      active.add(fragment.name.value);
      collectFields(fragment.selectionSet, names, fragments, variables, out, active);
      active.delete(fragment.name.value);
    }
  }
  return out;
}

/**
 * Estimates the cost of one operation before it runs, the way Apollo Router's demand control does
 * (static estimation over the IBM GraphQL Cost Directives spec, `@cost` and `@listSize`), using
 * `graphql-query-complexity` to walk the operation:
 *
 * - a field costs its `@cost` weight, else its type's `@cost`, else 1 for an object, interface or
 *   union and 0 for a scalar or enum; its selections are added to that;
 * - a list field multiplies that by its size: the largest given slicing argument, else `assumedSize`,
 *   else `defaultListSize`; with `sizedFields` the field counts once and the named child lists take the size;
 * - arguments and input fields add their `@cost` weight when given; a mutation adds `mutationCost`;
 * - an abstract selection costs its most expensive concrete type; `@skip`/`@include` are applied.
 *
 * The document must already be valid against `schema` (GraphQL spec, "Validation"): run `validate` first.
 *
 * @param schema - a schema built from SDL that still carries the cost directives (e.g. from the core supergraph SDL).
 * @param document - the parsed, validated document.
 * @returns the cost, a per-root-field breakdown and whether the cost depends on variables.
 * @throws CostEstimationError when the operation is not in the document, a list field with
 *   `@listSize(requireOneSlicingArgument: true)` (the directive's default) is not given exactly one of its
 *   slicing arguments (IBM cost spec, "@listSize"), the variables do not coerce
 *   (GraphQL spec, "CoerceVariableValues"), or the walk exceeds `maxEvaluatedNodes`.
 */
export function estimateCost(schema: GraphQLSchema, document: DocumentNode, options: EstimateCostOptions = {}): CostEstimate {
  const operation = getOperationAST(document, options.operationName ?? undefined);
  if (!operation)
    throw new CostEstimationError(
      'OPERATION_NOT_FOUND',
      options.operationName ? `Unknown operation named "${options.operationName}".` : 'The document must contain exactly one operation when no operation name is given.',
    );
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (options.variables ?? {}) as Record<string, unknown>);
  if (coerced.errors) throw new CostEstimationError('INVALID_VARIABLES', coerced.errors.map((e) => e.message).join(' '), coerced.errors);
  const variables = coerced.coerced;
  const defaultListSize = options.defaultListSize ?? 10;
  const directives = costDirectivesOf(schema);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  let dependsOnVariables = false;
  visit(document, {
    Directive(node) {
      if ((node.name.value === 'skip' || node.name.value === 'include') && node.arguments?.some((a) => containsVariable(a.value))) dependsOnVariables = true;
    },
  });

  const records = new WeakMap<FieldNode, FieldRecord>();
  const estimator: ComplexityEstimator = ({ field, node, args, childComplexity }) => {
    const namedType = getNamedType(field.type);
    const listSize = directives.listSize(field);
    if (listSize && listSize.requireOneSlicingArgument && listSize.slicingArguments.length > 0) {
      const given = listSize.slicingArguments.filter((p) => valueAtPath(args, p) != null);
      if (given.length !== 1) {
        throw new CostEstimationError(
          'SLICING_ARGUMENT_REQUIRED',
          `Field "${field.name}" must be given exactly one of its slicing arguments (${listSize.slicingArguments.join(', ')}); got ${given.length}.`,
        );
      }
    }
    let perInstance = (directives.fieldCost(field) ?? directives.typeCost(namedType) ?? (isCompositeType(namedType) ? 1 : 0)) + childComplexity;
    if (listSize && listSize.sizedFields.length > 0 && node.selectionSet) {
      const size = listSizeOf(listSize, args, defaultListSize);
      for (const child of collectFields(node.selectionSet, new Set(listSize.sizedFields), fragments, variables, [])) {
        const record = records.get(child);
        if (record) perInstance += (size - record.multiplier) * record.perInstance;
      }
    }
    const multiplier = isListField(field) && !(listSize && listSize.sizedFields.length > 0) ? listSizeOf(listSize, args, defaultListSize) : 1;
    let argumentsCost = 0;
    const slicingRoots = new Set((listSize?.slicingArguments ?? []).map((p) => p.split('.')[0]));
    for (const arg of field.args) {
      const weight = directives.inputCost(arg);
      const carries = weight !== undefined || directives.inputCarriesCost(arg.type);
      if (carries && args[arg.name] !== undefined) argumentsCost += (weight ?? 0) + inputValueCost(directives, arg.type, args[arg.name]);
      if (carries || slicingRoots.has(arg.name)) {
        const argNode = node.arguments?.find((a) => a.name.value === arg.name);
        if (argNode && containsVariable(argNode.value)) dependsOnVariables = true;
      }
    }
    const total = multiplier * perInstance + argumentsCost;
    records.set(node, { multiplier, perInstance, total });
    return total;
  };

  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: (options.variables ?? {}) as Record<string, unknown>,
      operationName: operation.name?.value,
      estimators: [estimator],
      maxQueryNodes: options.maxEvaluatedNodes ?? 20_000,
    });
  } catch (error) {
    if (error instanceof CostEstimationError) throw error;
    if (error instanceof GraphQLError && error.originalError instanceof CostEstimationError) throw error.originalError;
    if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message)) {
      throw new CostEstimationError('TOO_MANY_NODES', `The operation has more than ${options.maxEvaluatedNodes ?? 20_000} selections once fragments are expanded.`);
    }
    throw error;
  }
  const operationCost = operation.operation === 'mutation' ? (options.mutationCost ?? 10) : 0;
  const fields = collectFields(operation.selectionSet, undefined, fragments, variables, []).map((node) => ({ path: node.alias?.value ?? node.name.value, cost: records.get(node)?.total ?? 0 }));
  return { cost: cost + operationCost, breakdown: { operationType: operation.operation, operationCost, fields }, dependsOnVariables };
}
