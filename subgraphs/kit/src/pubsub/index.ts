export * from './PubSub';
export * from './InMemoryPubSub';
export * from './RedisPubSub';
export * from './eventIterator';
export * from './createPubSub';
export * from './resumeErrors';
export * from './resumeRequest';
