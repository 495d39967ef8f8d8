import { type ChangeOpFields, changeOpFields } from './crdt';
import type { LoggedChange, PullPage } from './storage/ListStore';

/** A logged change in the shape of the schema's `Change` type. */
export interface ChangeWire extends ChangeOpFields {
  readonly seq: string;
  readonly clientId: string;
  readonly id: number;
  readonly userId: string;
  readonly listId: string;
  readonly hlc: string;
  readonly outcome: string;
}

/** A page in the shape of the schema's `ChangesPage` type (cursors as decimal strings). */
export interface ChangesPageWire {
  readonly changes: readonly ChangeWire[];
  readonly cursor: string;
  readonly hasMore: boolean;
  readonly lastChangeId: number;
}

/** @returns `change` as the schema's `Change`. */
export function changeToWire(change: LoggedChange): ChangeWire {
  return {
    ...changeOpFields(change.op),
    seq: String(change.seq),
    clientId: change.clientId,
    id: change.changeId,
    userId: change.userId,
    listId: change.listId,
    hlc: change.hlc,
    outcome: change.outcome,
  };
}

/** @returns `page` as the schema's `ChangesPage`. */
export function pageToWire(page: PullPage): ChangesPageWire {
  return { changes: page.changes.map(changeToWire), cursor: String(page.cursor), hasMore: page.hasMore, lastChangeId: page.lastChangeId };
}
