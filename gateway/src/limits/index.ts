export * from '@roam/operation-limits';
export * from './createLimitsPlugin';
export * from './createLimitsStep';
