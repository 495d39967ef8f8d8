import { ApolloGateway } from '@apollo/gateway';
import type { GatewayExecutor } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { OperationExecutor } from '../pipeline/OperationPipeline';
import type { RequestInfo } from '../pipeline/types';
import { SubgraphDataSource } from '../supergraph/SubgraphDataSource';
import { withoutSecurityLinks } from '../supergraph/withoutSecurityLinks';
import type { SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import type { ExecutableOperation, Execution } from './RoamExecutor';

/**
 * `EXECUTOR=apollo`: Apollo Gateway's own query-plan executor behind Roam's pipeline, kept as a test oracle
 * only (the federation audit and the parity tests compare Roam's executor with it). One `ApolloGateway` is
 * loaded per supergraph snapshot; it plans and executes with `@apollo/gateway`'s `executeQueryPlan` and
 * fetches with its own `RemoteGraphQLDataSource`s.
 */
export class ApolloOracle implements OperationExecutor {
  private loaded: { version: number; executor: Promise<GatewayExecutor>; gateway: ApolloGateway } | undefined;

  constructor(private readonly logger: Logger) {}

  /** @see OperationExecutor.execute */
  async execute(snapshot: SupergraphSnapshot, op: ExecutableOperation, _scopeKey: string, request: RequestInfo): Promise<Execution> {
    if (this.loaded?.version !== snapshot.version) {
      const previous = this.loaded?.gateway;
      const gateway = new ApolloGateway({ supergraphSdl: withoutSecurityLinks(snapshot.sdl), buildService: ({ name, url }) => new SubgraphDataSource(name, url ?? ''), logger: this.logger });
      this.loaded = { version: snapshot.version, gateway, executor: gateway.load().then((r) => r.executor) };
      void previous?.stop().catch(() => undefined);
    }
    const executor = await this.loaded.executor;
    const headers = new Map(request.headers);
    const result = await executor({
      request: {
        query: op.document.loc?.source.body,
        operationName: op.operationName,
        variables: { ...op.variables },
        http: { method: request.method, url: 'https://unknown-url.invalid/', headers: headers as never },
      },
      response: { http: { headers: new Map() as never, status: undefined } },
      logger: this.logger,
      schema: snapshot.apiSchema,
      context: {},
      cache: undefined as never,
      queryHash: op.documentHash,
      document: op.document,
      source: op.document.loc?.source.body ?? '',
      operationName: op.operationName ?? null,
      operation: op.operation,
      metrics: {},
      overallCachePolicy: { maxAge: undefined, scope: undefined, restrict: () => undefined, replace: () => undefined, policyIfCacheable: () => null } as never,
      requestIsBatched: request.inBatch,
    } as never);
    const errors = ((result.errors ?? []) as readonly { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[]).map((e) =>
      e instanceof GraphQLError ? e : new GraphQLError(e.message, { path: e.path, extensions: e.extensions }),
    );
    return { data: (result.data ?? null) as Record<string, unknown> | null, errors, hints: [] };
  }

  /** Stops the loaded Apollo Gateway. */
  async stop(): Promise<void> {
    await this.loaded?.gateway.stop();
  }
}
