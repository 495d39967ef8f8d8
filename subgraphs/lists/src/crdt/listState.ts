import type { LwwRegister } from './lww';
import { EMPTY_OR_SET, type OrSet, orSetHas, orSetValues } from './orSet';
import { type PnCounter, pnValue } from './pnCounter';

/** A note conflict: two edits of `base` that changed the same lines. */
export interface NoteConflict {
  /** Tag of the change that conflicted (`<clientId>:<changeId>`); `RESOLVE_CONFLICT` names it. */
  readonly id: string;
  readonly base: string;
  /** The note as it was when the conflicting edit arrived (kept as the note). */
  readonly ours: string;
  /** The conflicting edit's text. */
  readonly theirs: string;
}

/** The merged state of one shopping list (the projection row, and each client's local copy). */
export interface ListState {
  readonly id: string;
  readonly ownerId: string;
  readonly title: LwwRegister<string>;
  readonly archived: LwwRegister<boolean>;
  /** Tombstone: once true, stays true (delete wins). */
  readonly deleted: boolean;
  readonly note: string;
  readonly conflicts: readonly NoteConflict[];
  /** Item UPCs (add-wins OR-set). */
  readonly items: OrSet;
  /** Quantity per present item UPC (PN-counter). */
  readonly quantities: Readonly<Record<string, PnCounter>>;
  /** Checked flag per present item UPC (LWW register). */
  readonly checked: Readonly<Record<string, LwwRegister<boolean>>>;
  /** Users the list is shared with, besides the owner (add-wins OR-set). */
  readonly members: OrSet;
}

/** @returns the state of a list just created by `ownerId` at `hlc`. */
export function newListState(id: string, ownerId: string, title: string, hlc: string): ListState {
  return {
    id,
    ownerId,
    title: { value: title, hlc },
    archived: { value: false, hlc },
    deleted: false,
    note: '',
    conflicts: [],
    items: EMPTY_OR_SET,
    quantities: {},
    checked: {},
    members: EMPTY_OR_SET,
  };
}

/** @returns true when `userId` owns the list or it is shared with them. */
export function canSee(state: ListState, userId: string): boolean {
  return state.ownerId === userId || orSetHas(state.members, userId);
}

/** @returns every user who can see the list: the owner first, then members sorted. */
export function listUserIds(state: ListState): string[] {
  return [state.ownerId, ...orSetValues(state.members).filter((u) => u !== state.ownerId)];
}

/** An item as clients see it. */
export interface ListItemView {
  readonly upc: string;
  readonly quantity: number;
  readonly checked: boolean;
}

/** A list as clients see it: plain values, no merge metadata. Two replicas converged when their views are equal. */
export interface ListView {
  readonly id: string;
  readonly ownerId: string;
  readonly title: string;
  readonly archived: boolean;
  readonly deleted: boolean;
  readonly note: string;
  readonly conflicts: readonly NoteConflict[];
  /** Sorted by UPC. */
  readonly items: readonly ListItemView[];
  /** Owner first, then members sorted. */
  readonly memberIds: readonly string[];
}

/** @returns the plain view of `state`. */
export function viewOf(state: ListState): ListView {
  return {
    id: state.id,
    ownerId: state.ownerId,
    title: state.title.value,
    archived: state.archived.value,
    deleted: state.deleted,
    note: state.note,
    conflicts: state.conflicts,
    items: orSetValues(state.items).map((upc) => ({ upc, quantity: state.quantities[upc] ? pnValue(state.quantities[upc]) : 0, checked: state.checked[upc]?.value ?? false })),
    memberIds: listUserIds(state),
  };
}
