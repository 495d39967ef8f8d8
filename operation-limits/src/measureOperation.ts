import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { Kind, validate, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** The shape of one operation, measured statically (directives such as `@skip` are not applied). */
export interface OperationShape {
  /** Deepest field nesting; root fields are depth 1, fragments add no level (Apollo Router `max_depth`). */
  readonly depth: number;
  /** Aliased fields, fragments counted once per spread; `__typename` aliases count too (issue 18: they multiply a response like any field). */
  readonly aliases: number;
  /** Fields selected on the root type, through fragments; `__typename` is not counted (Apollo Router `max_root_fields`). */
  readonly rootFields: number;
}

/** Counts root fields; each fragment is counted once and memoized, so a fragment "bomb" stays linear. */
function countRootFields(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, memo: Map<string, number>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') count++;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRootFields(selection.selectionSet, fragments, memo);
    } else {
      const name = selection.name.value;
      const known = memo.get(name);
      if (known !== undefined) {
        count += known;
        continue;
      }
      const fragment = fragments.get(name);
      if (!fragment) continue;
      memo.set(name, 0); // guards a cycle, which validation has already refused
      const inner = countRootFields(fragment.selectionSet, fragments, memo);
      memo.set(name, inner);
      count += inner;
    }
  }
  return count;
}

/**
 * Measures depth, aliases and root fields of every operation of a document. Depth and aliases are
 * counted by graphql-armor's rules (`@escape.tech/graphql-armor-max-depth`, `-max-aliases`), run with
 * no limit so that they report the measured value; the limits are compared by the caller, which may
 * pick them per client. The document must be valid (GraphQL spec, "Validation": no fragment cycles).
 *
 * @returns the shape of each operation, keyed by the operation node.
 */
export function measureOperations(schema: GraphQLSchema, document: DocumentNode): Map<OperationDefinitionNode, OperationShape> {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const depths: number[] = [];
  const aliases: number[] = [];
  const unlimited = Number.MAX_SAFE_INTEGER;
  validate(schema, document, [
    maxDepthRule({ n: unlimited, flattenFragments: true, ignoreIntrospection: false, propagateOnRejection: false, onAccept: [(_ctx, details: { n: number }) => depths.push(details.n)] }),
    maxAliasesRule({ n: unlimited, allowList: [], propagateOnRejection: false, onAccept: [(_ctx, details: { n: number }) => aliases.push(details.n)] }),
  ]);
  const result = new Map<OperationDefinitionNode, OperationShape>();
  operations.forEach((operation, i) => {
    result.set(operation, { depth: depths[i] ?? 0, aliases: aliases[i] ?? 0, rootFields: countRootFields(operation.selectionSet, fragments, new Map()) });
  });
  return result;
}
