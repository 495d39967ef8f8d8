/**
 * One operation on a shopping list, as pushed by a client and stored in the change log. Each kind
 * names the field it touches and the merge rule that applies (see `applyChange`).
 */
export type ChangeOp =
  | { readonly kind: 'CREATE_LIST'; readonly title: string }
  | { readonly kind: 'SET_TITLE'; readonly title: string }
  | { readonly kind: 'SET_ARCHIVED'; readonly archived: boolean }
  | { readonly kind: 'DELETE_LIST' }
  | { readonly kind: 'ADD_ITEM'; readonly upc: string; readonly quantity: number }
  | { readonly kind: 'REMOVE_ITEM'; readonly upc: string; readonly observed: readonly string[] }
  | { readonly kind: 'INCREMENT_QUANTITY'; readonly upc: string; readonly delta: number }
  | { readonly kind: 'SET_CHECKED'; readonly upc: string; readonly checked: boolean }
  | { readonly kind: 'EDIT_NOTE'; readonly base: string; readonly text: string }
  | { readonly kind: 'RESOLVE_CONFLICT'; readonly conflictId: string; readonly text: string }
  | { readonly kind: 'ADD_MEMBER'; readonly userId: string }
  | { readonly kind: 'REMOVE_MEMBER'; readonly userId: string; readonly observed: readonly string[] };

/** The kinds of {@link ChangeOp}. */
export type ChangeKind = ChangeOp['kind'];

/** Every {@link ChangeKind}, in schema order. */
export const CHANGE_KINDS: readonly ChangeKind[] = [
  'CREATE_LIST',
  'SET_TITLE',
  'SET_ARCHIVED',
  'DELETE_LIST',
  'ADD_ITEM',
  'REMOVE_ITEM',
  'INCREMENT_QUANTITY',
  'SET_CHECKED',
  'EDIT_NOTE',
  'RESOLVE_CONFLICT',
  'ADD_MEMBER',
  'REMOVE_MEMBER',
];

/** A change: who made it (client and its gap-free counter), when (HLC), on which list, what. */
export interface Change {
  /** The device's id (a replica id; also the HLC replica). */
  readonly clientId: string;
  /** Per-client counter: 1, 2, 3… with no gap. */
  readonly changeId: number;
  /** The signed-in user who pushed it. */
  readonly userId: string;
  readonly listId: string;
  /** Encoded HLC ({@link encodeHlc}). */
  readonly hlc: string;
  readonly op: ChangeOp;
}

/** How a change affected the list. */
export type ChangeOutcome = 'APPLIED' | 'SUPERSEDED' | 'CONFLICT';

/** @returns the OR-set tag that an add made by `change` carries: `<clientId>:<changeId>` (unique per change). */
export function changeTag(change: Pick<Change, 'clientId' | 'changeId'>): string {
  return `${change.clientId}:${change.changeId}`;
}
