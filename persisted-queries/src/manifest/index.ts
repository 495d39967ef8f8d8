export * from './types';
export * from './parseManifest';
export * from './checks';
export * from './checkManifest';
export * from './apiSchemaFromSupergraph';
export * from './createOperationLimitsCheck';
export * from './describeOperation';
