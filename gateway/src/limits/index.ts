export * from '@roam/operation-limits';
export * from './checkOperationLimits';
export * from './createLimitsPlugin';
export * from './createLimitsStep';
