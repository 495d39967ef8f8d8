/**
 * `.catch` handler for single-entity root fields (`Query.user(id)`, `Query.product(upc)`, …): a loader
 * rejection with `extensions.code === 'NOT_FOUND'` becomes `null` (an unknown id is not an error for such
 * a nullable field); any other failure is rethrown and stays a field error.
 *
 * @param error - the loader's rejection.
 * @returns null for `NOT_FOUND`.
 * @throws the error itself otherwise.
 */
export function nullWhenNotFound(error: unknown): null {
  if ((error as { extensions?: { code?: string } } | null)?.extensions?.code === 'NOT_FOUND') return null;
  throw error;
}
