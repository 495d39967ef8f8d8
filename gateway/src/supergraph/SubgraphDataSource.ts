import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { Fetcher } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { Agent } from 'undici';
import { requestFetcher } from './requestFetcher';

/**
 * Builds a fetch function for subgraph requests: undici `dispatcher.request` over a keep-alive
 * connection pool ({@link requestFetcher}), the pool's connect/headers/body timeouts as the deadline.
 *
 * @param timeoutMs - deadline of one fetch (connect, headers and body), in ms.
 * @returns a `Fetcher` as `@apollo/gateway` expects, and the agent to close at shutdown.
 */
export function createSubgraphFetcher(timeoutMs: number): { fetcher: Fetcher; agent: Agent } {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1, connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const fetcher = requestFetcher(agent);
  return { fetcher, agent };
}

/**
 * One subgraph as Apollo Gateway sees it. A fetch that fails at the HTTP level (refused connection,
 * timeout, non-2xx status, a body that is not GraphQL JSON) becomes one error with code
 * `SUBREQUEST_HTTP_ERROR` (Apollo Router's code), a message naming the subgraph, `extensions.service`,
 * and a `path` into the client's query, so the fields that subgraph owns are null and the rest of the
 * response is served.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(readonly subgraphName: string, url: string, fetcher: Fetcher) {
    super({ url, fetcher });
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      const reason = error instanceof Error ? describe(error) : String(error);
      const path = 'pathInIncomingRequest' in options ? options.pathInIncomingRequest?.filter((p) => p !== '@') : undefined;
      throw new GraphQLError(`HTTP fetch failed from '${this.subgraphName}': ${reason}`, {
        path: path && path.length > 0 ? (path as (string | number)[]) : undefined,
        extensions: { code: 'SUBREQUEST_HTTP_ERROR', service: this.subgraphName, reason },
      });
    }
  }
}

function describe(error: Error): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as { code?: string }).code;
  if (error.name === 'TimeoutError' || error.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'the subgraph did not answer in time';
  if (code && /^E[A-Z]+$/.test(code)) return `${code}${error.message ? ` (${error.message})` : ''}`;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error.message.split('\n')[0] ?? 'unknown error';
}
