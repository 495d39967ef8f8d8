import { Kind, parse } from 'graphql';

/** The name and type of a manifest entry's document, as `roam-pq push` stores them when the manifest gives none. */
export interface OperationDescription {
  /** The operations' names, joined with ", " (as `push` prints them); absent when no operation is named. */
  readonly name?: string;
  /** `query`, `mutation` or `subscription` when every operation has that type; absent otherwise. */
  readonly type?: string;
}

/**
 * Reads names and the type of the operations in a document (GraphQL spec, "Operations"). Code Generator's
 * `persisted-documents.json` holds only id → text, so without this `roam-pq list` showed `-` where `push`
 * printed the name.
 *
 * @param body - the document text (already validated by the manifest checks).
 * @returns what it found; an empty object when the text does not parse.
 */
export function describeOperation(body: string): OperationDescription {
  let operations;
  try {
    operations = parse(body, { noLocation: true }).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  } catch {
    return {};
  }
  const names = operations.map((o) => o.name?.value).filter((n): n is string => n !== undefined);
  const types = new Set(operations.map((o) => o.operation));
  return { ...(names.length > 0 ? { name: names.join(', ') } : {}), ...(types.size === 1 ? { type: [...types][0] } : {}) };
}
