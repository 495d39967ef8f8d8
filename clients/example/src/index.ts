export * from './persistedDocument';
export * from './createPersistedClient';
export * from './wireEncoding';
export * from './__generated__/graphql';
export * from './readClientConfig';
export * from './sendIdempotentMutation';
