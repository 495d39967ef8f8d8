export * from './operationResolutionMessage';
