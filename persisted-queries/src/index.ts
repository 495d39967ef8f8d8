export * from './sha256Hex';
