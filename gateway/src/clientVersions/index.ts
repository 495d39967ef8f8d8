export * from './checkClientVersion';
export * from './clientVersionsEnv';
export * from './clientVersionsPlugin';
