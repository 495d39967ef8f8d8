import { type Change, type ChangeOutcome, changeTag } from './change';
import { type ListState, newListState } from './listState';
import { lwwWins } from './lww';
import { orSetAdd, orSetHas, orSetLiveTags, orSetRemove } from './orSet';
import { pnIncrement, ZERO_PN_COUNTER } from './pnCounter';
import { threeWayMerge } from './threeWayMerge';

/** Result of {@link applyChange}. */
export interface Applied {
  /** The new state (the same object when nothing changed). */
  readonly state: ListState;
  readonly outcome: ChangeOutcome;
}

/** Thrown by {@link applyChange} for a change on a list that does not exist. */
export class UnknownListError extends Error {
  constructor(readonly listId: string) {
    super(`List "${listId}" does not exist.`);
    this.name = 'UnknownListError';
  }
}

/**
 * Applies one change to a list's state with the list's merge rules. The server applies every change in
 * log order; every client replays the same log in the same order with this same function, so all
 * replicas reach identical states. The rules make the result independent of the order in which
 * concurrent edits reached the server wherever a CRDT exists for the field:
 *
 * - `title`, `archived`, item `checked`: last-writer-wins by HLC (ties by replica id); an older write is `SUPERSEDED`.
 * - items: add-wins OR-set (a remove deletes only the adds it observed); removing an item's last add also drops
 *   its quantity and checked flag; an increment or check of an absent item is `SUPERSEDED`.
 * - `quantity`: PN-counter per item (increments by every replica add up).
 * - `note`: line-based three-way merge of the edit against its base; overlapping edits keep the current note
 *   and record a {@link NoteConflict} (`CONFLICT`) until a `RESOLVE_CONFLICT` sets the note.
 * - deletion: a tombstone; delete wins — every later change to a deleted list is `SUPERSEDED` (kept in the log).
 * - `CREATE_LIST` on an existing list is `SUPERSEDED`.
 *
 * @param state - the list's state, `undefined` when it does not exist yet.
 * @returns the new state and the outcome.
 * @throws UnknownListError when `state` is undefined and the change is not `CREATE_LIST`.
 */
export function applyChange(state: ListState | undefined, change: Change): Applied {
  const op = change.op;
  if (state === undefined) {
    if (op.kind !== 'CREATE_LIST') throw new UnknownListError(change.listId);
    return { state: newListState(change.listId, change.userId, op.title, change.hlc), outcome: 'APPLIED' };
  }
  const superseded: Applied = { state, outcome: 'SUPERSEDED' };
  if (state.deleted) return superseded;
  const applied = (next: ListState): Applied => ({ state: next, outcome: 'APPLIED' });
  switch (op.kind) {
    case 'CREATE_LIST':
      return superseded;
    case 'SET_TITLE':
      return lwwWins(state.title, change.hlc) ? applied({ ...state, title: { value: op.title, hlc: change.hlc } }) : superseded;
    case 'SET_ARCHIVED':
      return lwwWins(state.archived, change.hlc) ? applied({ ...state, archived: { value: op.archived, hlc: change.hlc } }) : superseded;
    case 'DELETE_LIST':
      return applied({ ...state, deleted: true });
    case 'ADD_ITEM': {
      const quantities = { ...state.quantities, [op.upc]: pnIncrement(state.quantities[op.upc] ?? ZERO_PN_COUNTER, change.clientId, op.quantity) };
      return applied({ ...state, items: orSetAdd(state.items, op.upc, changeTag(change)), quantities });
    }
    case 'REMOVE_ITEM': {
      const items = orSetRemove(state.items, op.upc, op.observed);
      if (orSetHas(items, op.upc)) return applied({ ...state, items });
      const quantities = { ...state.quantities };
      const checked = { ...state.checked };
      delete quantities[op.upc];
      delete checked[op.upc];
      return applied({ ...state, items, quantities, checked });
    }
    case 'INCREMENT_QUANTITY':
      if (!orSetHas(state.items, op.upc)) return superseded;
      return applied({ ...state, quantities: { ...state.quantities, [op.upc]: pnIncrement(state.quantities[op.upc] ?? ZERO_PN_COUNTER, change.clientId, op.delta) } });
    case 'SET_CHECKED': {
      if (!orSetHas(state.items, op.upc)) return superseded;
      const current = state.checked[op.upc];
      if (current && !lwwWins(current, change.hlc)) return superseded;
      return applied({ ...state, checked: { ...state.checked, [op.upc]: { value: op.checked, hlc: change.hlc } } });
    }
    case 'EDIT_NOTE': {
      const merged = threeWayMerge(op.base, state.note, op.text);
      if (merged.kind === 'merged') return applied({ ...state, note: merged.text });
      return { state: { ...state, conflicts: [...state.conflicts, { id: changeTag(change), base: op.base, ours: merged.ours, theirs: merged.theirs }] }, outcome: 'CONFLICT' };
    }
    case 'RESOLVE_CONFLICT':
      if (!state.conflicts.some((c) => c.id === op.conflictId)) return superseded;
      return applied({ ...state, note: op.text, conflicts: state.conflicts.filter((c) => c.id !== op.conflictId) });
    case 'ADD_MEMBER':
      return applied({ ...state, members: orSetAdd(state.members, op.userId, changeTag(change)) });
    case 'REMOVE_MEMBER':
      return applied({ ...state, members: orSetRemove(state.members, op.userId, op.observed) });
    default: {
      const never: never = op;
      throw new Error(`Unknown change kind ${JSON.stringify(never)}`);
    }
  }
}

/** @returns the tags a remove of `upc` issued now would observe (the live adds of the item). */
export function observedItemTags(state: ListState, upc: string): string[] {
  return orSetLiveTags(state.items, upc);
}

/** @returns the tags a remove of member `userId` issued now would observe. */
export function observedMemberTags(state: ListState, userId: string): string[] {
  return orSetLiveTags(state.members, userId);
}
