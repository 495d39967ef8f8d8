import {
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';

/** The `@listSize` arguments of a list field (IBM GraphQL Cost Directives spec, "@listSize"). */
export interface ListSize {
  /** Size assumed when no slicing argument gives it. */
  readonly assumedSize: number | undefined;
  /** Argument names (dotted paths into input objects allowed) whose value is the list's size. */
  readonly slicingArguments: readonly string[];
  /** Child fields that are the real lists (Relay connections: `edges`, `nodes`); the field itself counts once. */
  readonly sizedFields: readonly string[];
  /** Whether exactly one slicing argument must be given. @default true */
  readonly requireOneSlicingArgument: boolean;
}

/**
 * The cost directives of one schema, looked up by name: `@cost(weight:)` on fields, arguments, input
 * fields, types, scalars and enums, `@listSize` on fields. Built once per schema by {@link costDirectivesOf}.
 */
export interface CostDirectives {
  /** `@cost` weight of a field, or undefined. */
  fieldCost(field: GraphQLField<unknown, unknown>): number | undefined;
  /** `@cost` weight of a named type (object, scalar, enum), or undefined. */
  typeCost(type: GraphQLNamedType): number | undefined;
  /** `@cost` weight of an argument or input field definition, or undefined. */
  inputCost(definition: { readonly astNode?: { readonly directives?: readonly ConstDirectiveNode[] } | null | undefined }): number | undefined;
  /** `@listSize` of a field, or undefined. */
  listSize(field: GraphQLField<unknown, unknown>): ListSize | undefined;
  /** Whether an argument or input type can carry a cost (has `@cost` on it or on a nested input field). */
  inputCarriesCost(type: GraphQLInputType): boolean;
}

const SPEC_URLS = [/\/\/specs\.apollo\.dev\/cost\/v/, /\/\/specs\.apollo\.dev\/federation\/v/, /ibm\.github\.io\/graphql-specs\/cost-spec/];

function stringValue(node: ValueNode | undefined): string | undefined {
  return node?.kind === Kind.STRING ? node.value : undefined;
}

/**
 * Collects the names under which `@cost` and `@listSize` appear in a schema. A schema may link the
 * cost spec (`https://specs.apollo.dev/cost/v0.1`, as in a composed supergraph) or the federation spec
 * (`federation/v2.9`, as in a subgraph), import the directives under their own name or an alias, or
 * leave them namespaced (`@cost__listSize`, `@federation__cost`) - core schemas spec, "Prefixing".
 * Composition writes `@cost` unprefixed even when only `@listSize` is imported, so the plain names are
 * always included.
 */
function directiveNames(schema: GraphQLSchema): { cost: Set<string>; listSize: Set<string> } {
  const cost = new Set(['cost', 'cost__cost', 'federation__cost']);
  const listSize = new Set(['listSize', 'cost__listSize', 'federation__listSize']);
  const nodes = [schema.astNode, ...schema.extensionASTNodes].filter((n) => n != null);
  for (const node of nodes) {
    for (const directive of node.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = stringValue(directive.arguments?.find((a) => a.name.value === 'url')?.value);
      if (!url || !SPEC_URLS.some((re) => re.test(url))) continue;
      const as = stringValue(directive.arguments?.find((a) => a.name.value === 'as')?.value);
      if (as) {
        cost.add(`${as}__cost`);
        listSize.add(`${as}__listSize`);
      }
      const imports = directive.arguments?.find((a) => a.name.value === 'import')?.value;
      if (imports?.kind !== Kind.LIST) continue;
      for (const item of imports.values) {
        let name: string | undefined;
        let alias: string | undefined;
        if (item.kind === Kind.STRING) name = alias = item.value;
        else if (item.kind === Kind.OBJECT) {
          name = stringValue(item.fields.find((f) => f.name.value === 'name')?.value);
          alias = stringValue(item.fields.find((f) => f.name.value === 'as')?.value) ?? name;
        }
        if (name === '@cost' && alias) cost.add(alias.replace(/^@/, ''));
        if (name === '@listSize' && alias) listSize.add(alias.replace(/^@/, ''));
      }
    }
  }
  return { cost, listSize };
}

function intArg(directive: ConstDirectiveNode, name: string): number | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.INT ? Number.parseInt(value.value, 10) : undefined;
}

function stringListArg(directive: ConstDirectiveNode, name: string): string[] {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  if (value?.kind === Kind.STRING) return [value.value];
  if (value?.kind !== Kind.LIST) return [];
  return value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []));
}

type WithDirectives = {
  readonly astNode?: { readonly directives?: readonly ConstDirectiveNode[] } | null | undefined;
  readonly extensionASTNodes?: readonly { readonly directives?: readonly ConstDirectiveNode[] }[];
};

function directivesOf(element: WithDirectives): ConstDirectiveNode[] {
  return [...(element.astNode?.directives ?? []), ...(element.extensionASTNodes ?? []).flatMap((n) => n.directives ?? [])];
}

const cache = new WeakMap<GraphQLSchema, CostDirectives>();

/**
 * Reads the cost directives of a schema built from SDL (a supergraph, a subgraph or a test schema):
 * the directives are taken from the AST nodes, so the schema must come from `buildSchema` /
 * `buildASTSchema` (Apollo Gateway's API schema drops them: use the core supergraph SDL).
 *
 * @param schema - the schema; results are cached per schema object.
 * @returns the lookups; a schema without cost directives gives `undefined` everywhere.
 */
export function costDirectivesOf(schema: GraphQLSchema): CostDirectives {
  const cached = cache.get(schema);
  if (cached) return cached;
  const names = directiveNames(schema);
  const weightOf = (element: WithDirectives): number | undefined => {
    for (const d of directivesOf(element)) if (names.cost.has(d.name.value)) return intArg(d, 'weight');
    return undefined;
  };
  const listSizes = new WeakMap<object, ListSize | null>();
  const carries = new Map<string, boolean>();
  const inputCarriesCost = (type: GraphQLInputType): boolean => {
    const named = getNamedType(type);
    if (weightOf(named) !== undefined) return true;
    if (!isInputObjectType(named)) return false;
    const known = carries.get(named.name);
    if (known !== undefined) return known;
    carries.set(named.name, false); // recursion guard for self-referencing input types
    const result = Object.values(named.getFields()).some((f) => weightOf(f) !== undefined || inputCarriesCost(f.type));
    carries.set(named.name, result);
    return result;
  };
  const directives: CostDirectives = {
    fieldCost: (field) => weightOf(field),
    typeCost: (type) => weightOf(type),
    inputCost: (definition) => weightOf(definition),
    inputCarriesCost,
    listSize(field) {
      let size = listSizes.get(field);
      if (size === undefined) {
        size = null;
        for (const d of directivesOf(field)) {
          if (!names.listSize.has(d.name.value)) continue;
          const require = d.arguments?.find((a) => a.name.value === 'requireOneSlicingArgument')?.value;
          size = {
            assumedSize: intArg(d, 'assumedSize'),
            slicingArguments: stringListArg(d, 'slicingArguments'),
            sizedFields: stringListArg(d, 'sizedFields'),
            requireOneSlicingArgument: require?.kind === Kind.BOOLEAN ? require.value : true,
          };
        }
        listSizes.set(field, size);
      }
      return size ?? undefined;
    },
  };
  cache.set(schema, directives);
  return directives;
}

/** @returns whether a field's type is a list (under any non-null wrappers). */
export function isListField(field: GraphQLField<unknown, unknown>): boolean {
  const type = isNonNullType(field.type) ? field.type.ofType : field.type;
  return isListType(type);
}
