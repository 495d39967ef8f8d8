export * from './types';
export * from './cacheHintOf';
export * from './subgraphFailure';
export * from './InflightCoalescer';
export * from './postSubgraph';
export * from './SubgraphClient';
export * from './UpstreamPool';
export * from './Upstreams';
