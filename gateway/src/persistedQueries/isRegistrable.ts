import { getOperationAST, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * Whether APQ may store `query`: it parses, `operationName` selects one operation, it validates
 * against the current API schema (graphql-js `specifiedRules`), and over GET it is a query (a GET
 * mutation is refused with 405 and must not be stored either). Documents that fail are executed
 * anyway so that Apollo Server reports the error, but never stored.
 *
 * @param schema - the current API schema; undefined before the first supergraph load (then nothing is stored).
 * @returns true when the text can be stored; never throws.
 */
export function isRegistrable(query: string, operationName: string | undefined, method: 'GET' | 'POST', schema: GraphQLSchema | undefined): boolean {
  if (!schema) return false;
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return false;
  }
  const operation = getOperationAST(document, operationName);
  if (!operation) return false;
  if (method === 'GET' && operation.operation !== 'query') return false;
  return validate(schema, document).length === 0;
}
