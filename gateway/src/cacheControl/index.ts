export { cacheControlPlugin } from './cacheControlPlugin';
export { cacheControlHeader, combineCacheControl, NO_STORE, PRIVATE_NO_CACHE } from './cacheControlHeader';
export { computeCachePolicy, type CacheHint, type CachePolicy } from './computeCachePolicy';
