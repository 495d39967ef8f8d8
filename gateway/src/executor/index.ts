export * from './RoamExecutor';
export * from './ApolloOracle';
export * from './executePlan';
export * from './shapeResponse';
export * from './executeIncremental';
export * from './deferDocument';
