import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { roamError } from '@roam/errors';
import { describeFetchError } from '../upstream/subgraphFailure';

/**
 * One subgraph as Apollo Gateway's executor sees it, for the `EXECUTOR=apollo` test oracle only (Roam's own
 * executor talks to subgraphs through the upstream layer). Fetches use WHATWG `fetch` (undici); a fetch that
 * fails at the HTTP level becomes the upstream layer's `SUBREQUEST_HTTP_ERROR` with a `path` into the client's query.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(
    readonly subgraphName: string,
    url: string,
  ) {
    super({ url });
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      const path = 'pathInIncomingRequest' in options ? options.pathInIncomingRequest?.filter((p) => p !== '@') : undefined;
      const reason = describeFetchError(error);
      throw roamError(
        'SUBREQUEST_HTTP_ERROR',
        `HTTP fetch failed from '${this.subgraphName}': ${reason}`,
        { serviceName: this.subgraphName, reason },
        { path: path && path.length > 0 ? (path as (string | number)[]) : undefined },
      );
    }
  }
}
