export * from './freePort';
export * from './waitFor';
export * from './startProcess';
export * from './startRedis';
