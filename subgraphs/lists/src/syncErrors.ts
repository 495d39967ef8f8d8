/**
 * Stable error codes of the lists subgraph (in `extensions.code`; listed in the README's "Offline sync" section).
 * - `CHANGE_ID_GAP`: a pushed change id is not the client's last applied id + 1 (an earlier change is missing).
 * - `LIST_NOT_VISIBLE`: a change for a list that does not exist or that the signed-in user cannot see.
 * - `CLOCK_DRIFT`: a change's HLC is further ahead of the server's clock than the allowed drift.
 * - `INVALID_CHANGE`: a malformed operation (unknown kind, missing or out-of-range field, bad HLC).
 * - `CLIENT_ID_TAKEN`: the client id belongs to another user.
 * - `INVALID_CURSOR`: `since` is not a cursor this server returned.
 */
export type SyncErrorCode = 'CHANGE_ID_GAP' | 'LIST_NOT_VISIBLE' | 'CLOCK_DRIFT' | 'INVALID_CHANGE' | 'CLIENT_ID_TAKEN' | 'INVALID_CURSOR';

/** Every {@link SyncErrorCode}. */
export const SYNC_ERROR_CODES: readonly SyncErrorCode[] = ['CHANGE_ID_GAP', 'LIST_NOT_VISIBLE', 'CLOCK_DRIFT', 'INVALID_CHANGE', 'CLIENT_ID_TAKEN', 'INVALID_CURSOR'];

/** A refused push or pull; nothing of the request was applied. */
export class SyncError extends Error {
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    /** The refused change's id, when one change caused it. */
    readonly changeId?: number,
  ) {
    super(message);
    this.name = 'SyncError';
  }
}
