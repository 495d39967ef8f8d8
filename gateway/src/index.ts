export * from './config';
export * from './errors';
export * from './createGateway';
export * from './formatError';
export * from './compose/composeSupergraph';
export * from './supergraph/supergraphFromFile';
export * from './supergraph/SubgraphDataSource';
