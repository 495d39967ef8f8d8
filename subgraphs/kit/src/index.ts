export * from './dataset';
export * from './callCounter';
export * from './connection';
export * from './subgraphConfig';
export * from './createSubgraphServer';
export * from './runSubgraph';
export * from './pubsub';
export * from './subscribePerEvent';
