export * from './Authenticator';
export * from './securityEnv';
export * from './sharingScope';
export * from './subgraphHeaders';
export * from './authorizationPlugin';
export * from './rateLimitsPlugin';
export * from './introspectionPlugin';
export * from './upstreamScope';
