export { createOperationResolutionPlugin } from './createOperationResolutionPlugin';
export { operationResolutionMessage } from './operationResolutionMessage';
