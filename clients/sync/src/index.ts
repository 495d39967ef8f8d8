export * from './LocalStore';
export * from './MemoryStore';
export * from './SqliteStore';
export * from './SyncEngine';
export * from './transport';
export * from './operations';
export * from './syncManifest';
