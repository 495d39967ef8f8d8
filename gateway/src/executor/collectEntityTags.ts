import {
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

type Obj = Record<string, unknown>;

/** Key fields (top level of the first `@key`) of every entity type of a supergraph, by type name. */
const entityKeysBySchema = new WeakMap<GraphQLSchema, ReadonlyMap<string, readonly string[]>>();

/**
 * @param supergraphSchema - the supergraph schema (with `@join__type(graph:, key:)` on entity types).
 * @returns type name → the top-level field names of its first `@key` (federation entity definition).
 */
export function entityKeys(supergraphSchema: GraphQLSchema): ReadonlyMap<string, readonly string[]> {
  let keys = entityKeysBySchema.get(supergraphSchema);
  if (keys) return keys;
  const found = new Map<string, readonly string[]>();
  for (const type of Object.values(supergraphSchema.getTypeMap())) {
    for (const directive of [type.astNode, ...(type.extensionASTNodes ?? [])].flatMap((n) => n?.directives ?? [])) {
      if (directive.name.value !== 'join__type' || found.has(type.name)) continue;
      const key = directive.arguments?.find((a) => a.name.value === 'key')?.value;
      if (key?.kind !== Kind.STRING) continue;
      try {
        const selection = parse(`{${key.value}}`).definitions[0] as OperationDefinitionNode;
        found.set(
          type.name,
          selection.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])),
        );
      } catch {
        // a key we cannot read: the type counts as keyless (type-wide tags only)
      }
    }
  }
  keys = found;
  entityKeysBySchema.set(supergraphSchema, keys);
  return keys;
}

/** @returns the tag of one entity: `Type:key` (one key field) or `Type:k1:k2` (several, `@key` order); objects as JSON. */
export function entityTag(typename: string, keyValues: readonly unknown[]): string {
  return `${typename}:${keyValues.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(':')}`;
}

/**
 * Collects the entities a response holds, for the response cache's invalidation index (issue 14 item 2):
 * walks the merged (not yet shaped) data of an execution along the operation's selections, typing each
 * object by its `__typename` or the field's type in the API schema, and names each object of an entity
 * type (one with a federation `@key`) by its typename and key values, e.g. `Product:1`. The merged data
 * holds the key fields the query plan fetched even when the client did not select them; an entity object
 * whose key is still missing yields its bare typename (`Product`), which stands for "some Product" and is
 * invalidated by any change to that type.
 *
 * @param apiSchema - the API schema the operation was validated against.
 * @param supergraphSchema - the supergraph schema (entity keys).
 * @param document - the operation's document (fragments).
 * @param operation - the executed operation.
 * @param data - the merged data ({@link executePlan}'s result).
 * @returns the tags, each once: `Type:key` for keyed entities, `Type` for an entity without its key.
 */
export function collectEntityTags(apiSchema: GraphQLSchema, supergraphSchema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, data: unknown): string[] {
  const keys = entityKeys(supergraphSchema);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const tags = new Set<string>();

  const tagObject = (obj: Obj, type: GraphQLNamedType | undefined): void => {
    if (!type) return;
    if (isAbstractType(type)) {
      // the runtime type is unknown: every entity type it may be is possibly here
      for (const possible of apiSchema.getPossibleTypes(type)) if (keys.has(possible.name)) tags.add(possible.name);
      return;
    }
    const fields = keys.get(type.name);
    if (!fields) return;
    const values = fields.map((f) => obj[f]);
    tags.add(fields.length > 0 && values.every((v) => v !== undefined && v !== null) ? entityTag(type.name, values) : type.name);
  };

  const visitValue = (value: unknown, type: GraphQLNamedType, selectionSet: SelectionSetNode): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visitValue(item, type, selectionSet);
      return;
    }
    const obj = value as Obj;
    const runtime = typeof obj.__typename === 'string' ? (apiSchema.getType(obj.__typename) ?? type) : type;
    tagObject(obj, runtime);
    visitSelections(obj, runtime, selectionSet, new Set());
  };

  const visitSelections = (obj: Obj, type: GraphQLNamedType, selectionSet: SelectionSetNode, seen: Set<string>): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!selection.selectionSet || !(isObjectType(type) || isInterfaceType(type))) continue;
        const field = type.getFields()[selection.name.value];
        if (!field) continue;
        visitValue(obj[selection.alias?.value ?? selection.name.value], getNamedType(field.type), selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? apiSchema.getType(selection.typeCondition.name.value) : type;
        if (condition && applies(condition, type)) visitSelections(obj, isAbstractType(condition) ? type : condition, selection.selectionSet, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        seen.add(fragment.name.value);
        const condition = apiSchema.getType(fragment.typeCondition.name.value);
        if (condition && applies(condition, type)) visitSelections(obj, isAbstractType(condition) ? type : condition, fragment.selectionSet, seen);
      }
    }
  };

  /** Whether fields under type condition `condition` apply to an object typed `type` (unknown runtime types: yes). */
  const applies = (condition: GraphQLNamedType, type: GraphQLNamedType): boolean => {
    if (condition.name === type.name || isAbstractType(type)) return true;
    return isAbstractType(condition) && isObjectType(type) && apiSchema.isSubType(condition, type);
  };

  const root = apiSchema.getRootType(operation.operation);
  if (root && data && typeof data === 'object') visitSelections(data as Obj, root, operation.selectionSet, new Set());
  return [...tags];
}
