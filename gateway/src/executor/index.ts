export * from './RoamPlanGateway';
export * from './executePlan';
export * from './shapeResponse';
export * from './postSubgraphJson';
