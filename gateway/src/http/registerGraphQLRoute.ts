import type { ApolloServer, BaseContext, HTTPGraphQLRequest } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../errors';
import { toHeaderMap } from './toHeaderMap';

/** What {@link registerGraphQLRoute} needs. */
export interface GraphQLRouteOptions {
  /** A started Apollo Server running the supergraph. */
  readonly apollo: ApolloServer<BaseContext>;
  /** @returns whether a supergraph is loaded; until then requests get 503 `SUPERGRAPH_NOT_READY`. */
  readonly isReady: () => boolean;
}

/**
 * Serves `/graphql` (GET and POST, GraphQL over HTTP) through Apollo Server's request pipeline
 * (`executeHTTPGraphQLRequest`): the body Fastify has parsed and the headers go in, the status, headers
 * and body Apollo Server chose come out. Other methods get 405 with `Allow: GET, POST`.
 */
export function registerGraphQLRoute(app: FastifyInstance, options: GraphQLRouteOptions): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    if (!options.isReady()) {
      return reply.code(503).header('retry-after', '1').send(errorBody('SUPERGRAPH_NOT_READY', 'The gateway has not loaded a supergraph yet.'));
    }
    const queryIndex = request.url.indexOf('?');
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: request.method.toUpperCase(),
      headers: toHeaderMap(request.headers),
      search: queryIndex >= 0 ? request.url.slice(queryIndex) : '',
      body: request.body,
    };
    const response = await options.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: async () => ({}) });
    for (const [name, value] of response.headers) void reply.header(name, value);
    void reply.code(response.status ?? 200);
    if (response.body.kind === 'complete') return reply.send(response.body.string);
    const chunks: string[] = [];
    for await (const chunk of response.body.asyncIterator) chunks.push(chunk);
    return reply.send(chunks.join(''));
  };
  app.route({ method: ['GET', 'POST'], url: '/graphql', handler });
  app.route({
    method: ['PUT', 'PATCH', 'DELETE'],
    url: '/graphql',
    handler: async (_request, reply) =>
      reply.code(405).header('allow', 'GET, POST').send(errorBody('METHOD_NOT_ALLOWED', 'The GraphQL endpoint accepts GET and POST.')),
  });
}
