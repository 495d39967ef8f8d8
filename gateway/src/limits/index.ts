export * from '@roam/operation-limits';
export * from './checkOperationLimits';
export * from './limitsPlugin';
