/** Operation text the engine sends; field selections match {@link ChangeWire}. */
export const PUSH_CHANGES = `mutation PushChanges($clientId: ID!, $changes: [ChangeInput!]!) {
  pushChanges(clientId: $clientId, changes: $changes) { outcomes { id outcome } lastChangeId cursor }
}`;

export const PULL_CHANGES = `query PullChanges($clientId: ID, $since: String, $limit: Int) {
  pullChanges(clientId: $clientId, since: $since, limit: $limit) {
    changes { seq clientId id userId listId hlc kind title archived upc quantity delta checked observed base text memberId conflictId }
    cursor hasMore lastChangeId
  }
}`;

export const LIST_CHANGES = `subscription ListChanges($since: String) { listChanges(since: $since) { cursor } }`;

/** A pulled change (the schema's `Change`, fields as selected by {@link PULL_CHANGES}). */
export interface ChangeWire {
  readonly seq: string;
  readonly clientId: string;
  readonly id: number;
  readonly userId: string;
  readonly listId: string;
  readonly hlc: string;
  readonly kind: string;
  readonly [field: string]: unknown;
}

export interface PullData {
  readonly pullChanges: { readonly changes: readonly ChangeWire[]; readonly cursor: string; readonly hasMore: boolean; readonly lastChangeId: number };
}
export interface PushData {
  readonly pushChanges: { readonly outcomes: readonly { id: number; outcome: string }[]; readonly lastChangeId: number; readonly cursor: string };
}
