export * from './sha256Hex';
export * from './store/index';
export * from './manifest/index';
export * from './cli/runCli';
