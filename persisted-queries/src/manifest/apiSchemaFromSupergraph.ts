import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';

/**
 * The linked features a Roam supergraph may use: Apollo Gateway's, plus the authorization directives
 * (`@authenticated`, `@requiresScopes`, Federation 2.5) that the Roam gateway enforces (README "Security").
 */
export const ROAM_SUPERGRAPH_FEATURES: ReadonlySet<string> = new Set([
  ...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES,
  'https://specs.apollo.dev/authenticated/v0.1',
  'https://specs.apollo.dev/requiresScopes/v0.1',
]);

/**
 * The API schema clients query (the supergraph without join/link machinery and `@inaccessible`
 * elements), built the way Apollo Gateway builds it.
 *
 * @param supergraphSdl - a composed supergraph SDL (e.g. `supergraph.graphql`).
 * @throws Error when the SDL is not a valid supergraph.
 */
export function apiSchemaFromSupergraph(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl, { supportedFeatures: ROAM_SUPERGRAPH_FEATURES as Set<string> })
    .apiSchema()
    .toGraphQLJSSchema();
}
