import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/** One subgraph to compose: its name, the URL the gateway will fetch, and its SDL text. */
export interface SubgraphDefinition {
  readonly name: string;
  readonly url: string;
  readonly sdl: string;
}

/** Thrown when composition fails; `errors` has one line per problem, each naming its subgraph. */
export class CompositionError extends Error {
  override readonly name = 'CompositionError';
  constructor(readonly errors: readonly string[]) {
    super(`Composition failed with ${errors.length} error(s):\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  }
}

/**
 * Composes subgraph schemas into a supergraph SDL with `@apollo/composition` (Federation 2).
 *
 * @returns the supergraph SDL text (with `@join__graph` URLs taken from `subgraphs[].url`).
 * @throws CompositionError listing every error; a subgraph whose SDL does not parse is named with the
 *   parse error, composition errors name the subgraphs involved (`[accounts] ...`).
 */
export function composeSupergraph(subgraphs: readonly SubgraphDefinition[]): string {
  const services = [];
  const errors: string[] = [];
  for (const s of subgraphs) {
    try {
      services.push({ name: s.name, url: s.url, typeDefs: parse(s.sdl) });
    } catch (error) {
      errors.push(`[${s.name}] schema does not parse: ${(error as Error).message}`);
    }
  }
  if (errors.length > 0) throw new CompositionError(errors);
  const result = composeServices(services);
  if (result.errors) {
    throw new CompositionError(
      result.errors.map((e) => {
        const code = (e.extensions?.code as string | undefined) ?? 'COMPOSITION_ERROR';
        const message = e.message;
        const named = subgraphs.some((s) => message.includes(`"${s.name}"`) || message.startsWith(`[${s.name}]`));
        return named ? `${code}: ${message}` : `${code}: ${message} (subgraphs: ${subgraphs.map((s) => s.name).join(', ')})`;
      }),
    );
  }
  return result.supergraphSdl;
}
