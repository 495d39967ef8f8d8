import { Kind, type DocumentNode } from 'graphql';

/**
 * Says why no operation of `document` can run under `operationName`, in graphql-js's words
 * (`buildExecutionContext`, GraphQL spec "GetOperation(document, operationName)").
 *
 * @param document - the parsed, validated document.
 * @param operationName - the request's `operationName`; `null`/`undefined` when none was sent.
 *   An empty string is a name like any other (and matches no operation).
 * @returns `undefined` when exactly one operation is selected, else the error message:
 *   `Unknown operation named "B".`, `Must provide operation name if query contains multiple operations.`
 *   or `Must provide an operation.`
 */
export function operationResolutionMessage(document: DocumentNode, operationName: string | null | undefined): string | undefined {
  let count = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    count += 1;
    if (operationName != null && definition.name?.value === operationName) return undefined;
  }
  if (operationName != null) return `Unknown operation named "${operationName}".`;
  if (count === 0) return 'Must provide an operation.';
  if (count > 1) return 'Must provide operation name if query contains multiple operations.';
  return undefined;
}
