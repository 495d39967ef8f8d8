export * from './config';
export * from './errors';
export * from './createGateway';
export * from './formatError';
export * from './compose/composeSupergraph';
export * from './supergraph/SupergraphSnapshot';
export * from './supergraph/watchSupergraphFile';
export * from './supergraph/SubgraphDataSource';
export * from './supergraph/withoutSecurityLinks';
export * from './pipeline/types';
export * from './pipeline/OperationPipeline';
export * from './pipeline/errorResult';
export * from './pipeline/runBatch';
export {
  Upstreams,
  SubgraphClient,
  UpstreamPool,
  InflightCoalescer,
  subgraphHttpError,
  subgraphMalformedError,
  describeFetchError,
  cacheHintOf,
  SubgraphGuard,
  defaultSubgraphPolicy,
  policyFor,
  CIRCUIT_OPEN_REASON,
  type SubgraphPolicy,
  type SubgraphPolicies,
  type SubgraphPolicyOverride,
  type BreakerState,
  type UpstreamHooks,
  type FetchInfo,
  type FetchOutcome,
  type FetchOptions,
  type SubgraphRequest,
  type SubgraphResponse,
  type UpstreamEvent,
} from './upstream';
export * from './limits';
export * from './executor';
export * from './persistedQueries/index';
export * from './transportRules';
export * from './cacheControl';
export * from './subscriptions';
export * from './observability';
export * from './security';
export * from './clientVersions';
export * from './idempotency';
export * from './push';
