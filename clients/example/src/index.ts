export * from './persistedDocument';
export * from './createPersistedClient';
export * from './__generated__/graphql';
