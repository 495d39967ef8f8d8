export * from './ERROR_CODES';
export * from './RoamError';
export * from './CLOSE_CODES';
export * from './blankSettings';
