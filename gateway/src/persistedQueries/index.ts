export * from './readPersistedQueryRequest';
export * from './isRegistrable';
export * from './createPersistedQueryStep';
export * from './createPersistedQueryStore';
