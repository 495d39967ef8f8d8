import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionNode, type SelectionSetNode } from 'graphql';

/** Root fields answered from the schema itself (GraphQL spec §4.2 "Schema Introspection"); `__typename` is shaped separately. */
export const INTROSPECTION_ROOT_FIELDS: ReadonlySet<string> = new Set(['__schema', '__type']);

/**
 * The part of an operation that introspects the schema: a document whose only operation keeps the
 * root `__schema`/`__type` fields (with their aliases, arguments and directives), also those inside
 * root-level inline fragments and fragment spreads (spreads become inline fragments with the same
 * type condition and directives), plus every fragment definition of the original. Run it with
 * graphql-js `execute` against the API schema, as Apollo Gateway does, and merge the result under
 * the same response keys; the query planner never sees these fields.
 *
 * @param document - the client's parsed, validated document.
 * @param operation - the operation being executed (one of `document`'s).
 * @returns the introspection-only document, or `undefined` when the operation has no such root field.
 */
export function introspectionDocument(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  // Validated documents have no fragment cycles (spec §5.5.2.2), so this terminates.
  const filter = (selectionSet: SelectionSetNode): SelectionSetNode | undefined => {
    const kept: SelectionNode[] = [];
    for (const s of selectionSet.selections) {
      if (s.kind === Kind.FIELD) {
        if (INTROSPECTION_ROOT_FIELDS.has(s.name.value)) kept.push(s);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const inner = filter(s.selectionSet);
        if (inner) kept.push({ ...s, selectionSet: inner });
      } else {
        const fragment = fragments.get(s.name.value);
        const inner = fragment && filter(fragment.selectionSet);
        if (fragment && inner) kept.push({ kind: Kind.INLINE_FRAGMENT, typeCondition: fragment.typeCondition, directives: s.directives, selectionSet: inner });
      }
    }
    return kept.length > 0 ? { kind: Kind.SELECTION_SET, selections: kept } : undefined;
  };
  const selectionSet = filter(operation.selectionSet);
  if (!selectionSet) return undefined;
  return { kind: Kind.DOCUMENT, definitions: [{ ...operation, selectionSet }, ...fragments.values()] };
}
