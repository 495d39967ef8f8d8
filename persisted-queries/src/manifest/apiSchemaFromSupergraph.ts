import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';

/**
 * The API schema clients query (the supergraph without join/link machinery and `@inaccessible`
 * elements), built the way Apollo Gateway builds it.
 *
 * @param supergraphSdl - a composed supergraph SDL (e.g. `supergraph.graphql`).
 * @throws Error when the SDL is not a valid supergraph.
 */
export function apiSchemaFromSupergraph(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}
