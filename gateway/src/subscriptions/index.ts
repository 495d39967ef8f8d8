export * from './types';
export * from './EventStream';
export * from './formatResult';
export * from './SubscriptionHub';
export * from './SubscriptionRouter';
export * from './connectionInfo';
export * from './createSubscriptionServer';
export * from './frontDoorHooksPlugin';
