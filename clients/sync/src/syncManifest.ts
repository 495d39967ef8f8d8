import { createHash } from 'node:crypto';
import { LIST_CHANGES, PULL_CHANGES, PUSH_CHANGES } from './operations';

/** One entry of an Apollo persisted-query manifest (the format `roam-pq push` reads). */
export interface SyncManifestOperation {
  /** SHA-256 hex of `body`'s exact UTF-8 bytes (the id the gateway looks up). */
  readonly id: string;
  readonly name: string;
  readonly type: 'query' | 'mutation' | 'subscription';
  readonly body: string;
}

/** An Apollo persisted-query manifest (`README.md` "Manifests and roam-pq"). */
export interface SyncManifest {
  readonly format: 'apollo-persisted-query-manifest';
  readonly version: 1;
  readonly operations: readonly SyncManifestOperation[];
}

/** @returns the SHA-256 hex of `text`'s UTF-8 bytes: the persisted id of an operation text. */
export function operationHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The persisted-operation manifest of every operation the sync engine sends ({@link PUSH_CHANGES},
 * {@link PULL_CHANGES}, {@link LIST_CHANGES}), in Apollo's format, so a deployment running the gateway with
 * `PERSISTED_QUERIES=safelist` can register them: `roam-pq push clients/sync/persisted-operations.json` (`npm run manifest -w @roam/sync-client` rewrites that file).
 * The committed `clients/sync/persisted-operations.json` is this object (a unit test keeps it current).
 * @returns a new manifest object (ids computed from the texts).
 */
export function syncManifest(): SyncManifest {
  const op = (name: string, type: SyncManifestOperation['type'], body: string): SyncManifestOperation => ({ id: operationHash(body), name, type, body });
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: [op('PushChanges', 'mutation', PUSH_CHANGES), op('PullChanges', 'query', PULL_CHANGES), op('ListChanges', 'subscription', LIST_CHANGES)],
  };
}
