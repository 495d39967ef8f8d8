export * from './readPersistedQueryRequest';
export * from './persistedQueriesPlugin';
export * from './createPersistedQueryStore';
