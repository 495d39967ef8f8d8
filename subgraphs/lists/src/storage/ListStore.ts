import { applyChange, canSee, type Change, type ChangeOp, type ChangeOutcome, checkDrift, HlcError, listUserIds, type ListState, parseHlc } from '../crdt';
import { SyncError } from '../syncErrors';
import type { Database, SqlClient } from './Database';

/** A change as a client pushes it (the server adds the user). */
export interface IncomingChange {
  readonly changeId: number;
  readonly listId: string;
  readonly hlc: string;
  readonly op: ChangeOp;
}

/** A logged change with its position in the log. */
export interface LoggedChange extends Change {
  /** Server-assigned log position (the cursor after this change). */
  readonly seq: number;
  readonly outcome: ChangeOutcome;
}

/** Outcome of one pushed change: `ALREADY_APPLIED` for an id applied by an earlier push (a resend). */
export interface PushOutcome {
  readonly changeId: number;
  readonly outcome: ChangeOutcome | 'ALREADY_APPLIED';
}

/** Result of {@link ListStore.push}. */
export interface PushResult {
  readonly outcomes: readonly PushOutcome[];
  /** The client's last applied change id after the push. */
  readonly lastChangeId: number;
  /** The log's newest position after the push. */
  readonly cursor: number;
}

/** Result of {@link ListStore.pull}. */
export interface PullPage {
  /** Changes after `since` of lists the user can see, in log order; at most `limit`. */
  readonly changes: readonly LoggedChange[];
  /** Where the next pull starts. */
  readonly cursor: number;
  /** True when more changes follow `cursor`. */
  readonly hasMore: boolean;
  /** The client's last applied change id (0 when unknown), read before the changes. */
  readonly lastChangeId: number;
}

/** Settings of a {@link ListStore}. */
export interface ListStoreOptions {
  /** Largest accepted lead of a change's HLC over the server clock, in ms. */
  readonly maxClockDriftMs: number;
  /** The server clock, in ms since the epoch; @default Date.now */
  readonly nowMs?: () => number;
}

interface ChangeRow {
  seq: string | number;
  client_id: string;
  change_id: number;
  user_id: string;
  list_id: string;
  hlc: string;
  op: ChangeOp;
  outcome: ChangeOutcome;
}

function rowToChange(r: ChangeRow): LoggedChange {
  return { seq: Number(r.seq), clientId: r.client_id, changeId: r.change_id, userId: r.user_id, listId: r.list_id, hlc: r.hlc, op: r.op, outcome: r.outcome };
}

/** Serialises pushes so that `seq` order is commit order and a pull never skips a late commit. */
const PUSH_LOCK = 761301;

/**
 * The lists' storage: the append-only change log and its projection, on a {@link Database}.
 * Every push runs in one transaction that appends to the log, updates the projection and the client's last
 * applied change id together (Replicache's push protocol), so a change is applied exactly once.
 */
export class ListStore {
  private readonly nowMs: () => number;

  constructor(
    readonly db: Database,
    private readonly options: ListStoreOptions,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /**
   * Applies `changes` of client `clientId` for `userId`, in order, all or nothing. Ids up to the client's last
   * applied id are skipped (`ALREADY_APPLIED`); the next must be exactly last + 1, and so on.
   * @throws SyncError `CHANGE_ID_GAP`, `LIST_NOT_VISIBLE`, `CLOCK_DRIFT`, `INVALID_CHANGE` or `CLIENT_ID_TAKEN`; nothing is applied then.
   */
  async push(userId: string, clientId: string, changes: readonly IncomingChange[]): Promise<PushResult> {
    return this.db.transaction(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock($1)', [PUSH_LOCK]);
      const { rows: clientRows } = await sql.query<{ user_id: string; last_change_id: number }>('SELECT user_id, last_change_id FROM clients WHERE client_id = $1', [clientId]);
      const client = clientRows[0];
      if (client && client.user_id !== userId) throw new SyncError('CLIENT_ID_TAKEN', `Client id "${clientId}" belongs to another user.`);
      let last = client?.last_change_id ?? 0;
      const states = new Map<string, ListState | undefined>();
      const outcomes: PushOutcome[] = [];
      const now = this.nowMs();
      for (const incoming of changes) {
        if (incoming.changeId <= last) {
          outcomes.push({ changeId: incoming.changeId, outcome: 'ALREADY_APPLIED' });
          continue;
        }
        if (incoming.changeId !== last + 1) {
          throw new SyncError('CHANGE_ID_GAP', `Change ${incoming.changeId} of client "${clientId}" follows ${last}: expected ${last + 1}. Resend from ${last + 1}.`, incoming.changeId);
        }
        try {
          checkDrift(parseHlc(incoming.hlc), now, this.options.maxClockDriftMs);
        } catch (error) {
          if (error instanceof HlcError) throw new SyncError(error.code, `Change ${incoming.changeId}: ${error.message}`, incoming.changeId);
          throw error;
        }
        if (parseHlc(incoming.hlc).replica !== clientId)
          throw new SyncError('INVALID_CHANGE', `Change ${incoming.changeId}: its HLC's replica must be the client id "${clientId}".`, incoming.changeId);
        if (!states.has(incoming.listId)) states.set(incoming.listId, await this.loadState(sql, incoming.listId));
        const state = states.get(incoming.listId);
        if (state ? !canSee(state, userId) : incoming.op.kind !== 'CREATE_LIST') {
          throw new SyncError('LIST_NOT_VISIBLE', `Change ${incoming.changeId}: list "${incoming.listId}" does not exist or is not shared with you.`, incoming.changeId);
        }
        const change: Change = { clientId, changeId: incoming.changeId, userId, listId: incoming.listId, hlc: incoming.hlc, op: incoming.op };
        const result = applyChange(state, change);
        await sql.query('INSERT INTO changes (client_id, change_id, user_id, list_id, hlc, op, outcome) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)', [
          clientId,
          change.changeId,
          userId,
          change.listId,
          change.hlc,
          JSON.stringify(change.op),
          result.outcome,
        ]);
        states.set(incoming.listId, result.state);
        outcomes.push({ changeId: incoming.changeId, outcome: result.outcome });
        last = incoming.changeId;
      }
      const cursor = await this.maxSeq(sql);
      for (const state of states.values()) if (state) await this.saveState(sql, state, cursor);
      await sql.query('INSERT INTO clients (client_id, user_id, last_change_id) VALUES ($1, $2, $3) ON CONFLICT (client_id) DO UPDATE SET last_change_id = EXCLUDED.last_change_id', [
        clientId,
        userId,
        last,
      ]);
      return { outcomes, lastChangeId: last, cursor };
    });
  }

  /**
   * Reads the changes after `since` of the lists `userId` can see now (tombstones included), at most `limit`.
   * Runs in one REPEATABLE READ snapshot, so `cursor` never passes a change the page did not include.
   * @param clientId - whose last applied change id to return; 0 when undefined or unknown.
   */
  async pull(userId: string, clientId: string | undefined, since: number, limit: number): Promise<PullPage> {
    return this.db.transaction(async (sql) => {
      await sql.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      let lastChangeId = 0;
      if (clientId !== undefined) {
        const { rows } = await sql.query<{ last_change_id: number }>('SELECT last_change_id FROM clients WHERE client_id = $1 AND user_id = $2', [clientId, userId]);
        lastChangeId = rows[0]?.last_change_id ?? 0;
      }
      const { rows } = await sql.query<ChangeRow>(
        `SELECT c.seq, c.client_id, c.change_id, c.user_id, c.list_id, c.hlc, c.op, c.outcome FROM changes c
         JOIN list_access a ON a.list_id = c.list_id AND a.user_id = $1
         WHERE c.seq > $2 ORDER BY c.seq LIMIT $3`,
        [userId, since, limit + 1],
      );
      const hasMore = rows.length > limit;
      const changes = rows.slice(0, limit).map(rowToChange);
      const cursor = hasMore ? changes[changes.length - 1]!.seq : Math.max(since, await this.maxSeq(sql));
      return { changes, cursor, hasMore, lastChangeId };
    });
  }

  /** @returns the projected states of `listIds` the user can see, in the same order, `undefined` for others. One query. */
  async findVisible(userId: string, listIds: readonly string[]): Promise<(ListState | undefined)[]> {
    const { rows } = await this.db.query<{ state: ListState }>('SELECT l.state FROM lists l JOIN list_access a ON a.list_id = l.list_id AND a.user_id = $1 WHERE l.list_id = ANY($2::text[])', [
      userId,
      [...listIds],
    ]);
    const byId = new Map(rows.map((r) => [r.state.id, r.state]));
    return listIds.map((id) => byId.get(id));
  }

  /** @returns for each user id, the lists that user can see (tombstones excluded), by id. One query. */
  async listsOfUsers(userIds: readonly string[]): Promise<ListState[][]> {
    const { rows } = await this.db.query<{ user_id: string; state: ListState }>(
      'SELECT a.user_id, l.state FROM list_access a JOIN lists l ON l.list_id = a.list_id WHERE a.user_id = ANY($1::text[]) ORDER BY l.list_id',
      [[...userIds]],
    );
    return userIds.map((u) => rows.filter((r) => r.user_id === u && !r.state.deleted).map((r) => r.state));
  }

  /** @returns every projected list, by id (tests compare it with a rebuild). */
  async allStates(): Promise<ListState[]> {
    const { rows } = await this.db.query<{ state: ListState }>('SELECT state FROM lists ORDER BY list_id');
    return rows.map((r) => r.state);
  }

  /** @returns the whole log in order. */
  async log(): Promise<LoggedChange[]> {
    const { rows } = await this.db.query<ChangeRow>('SELECT seq, client_id, change_id, user_id, list_id, hlc, op, outcome FROM changes ORDER BY seq');
    return rows.map(rowToChange);
  }

  /**
   * Drops the projection and replays the whole log into it, in one transaction (holding the push lock).
   * @returns the number of changes replayed.
   */
  async rebuildProjection(): Promise<number> {
    return this.db.transaction(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock($1)', [PUSH_LOCK]);
      await sql.query('DELETE FROM list_access');
      await sql.query('DELETE FROM lists');
      const { rows } = await sql.query<ChangeRow>('SELECT seq, client_id, change_id, user_id, list_id, hlc, op, outcome FROM changes ORDER BY seq');
      const states = new Map<string, ListState>();
      for (const change of rows.map(rowToChange)) states.set(change.listId, applyChange(states.get(change.listId), change).state);
      const cursor = await this.maxSeq(sql);
      for (const state of states.values()) await this.saveState(sql, state, cursor);
      return rows.length;
    });
  }

  private async loadState(sql: SqlClient, listId: string): Promise<ListState | undefined> {
    const { rows } = await sql.query<{ state: ListState }>('SELECT state FROM lists WHERE list_id = $1', [listId]);
    return rows[0]?.state;
  }

  private async saveState(sql: SqlClient, state: ListState, seq: number): Promise<void> {
    await sql.query('INSERT INTO lists (list_id, owner_id, state, last_seq) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (list_id) DO UPDATE SET state = EXCLUDED.state, last_seq = EXCLUDED.last_seq', [
      state.id,
      state.ownerId,
      JSON.stringify(state),
      seq,
    ]);
    await sql.query('DELETE FROM list_access WHERE list_id = $1', [state.id]);
    for (const userId of listUserIds(state)) await sql.query('INSERT INTO list_access (list_id, user_id) VALUES ($1, $2)', [state.id, userId]);
  }

  private async maxSeq(sql: SqlClient): Promise<number> {
    const { rows } = await sql.query<{ m: string | number | null }>('SELECT max(seq) AS m FROM changes');
    return Number(rows[0]?.m ?? 0);
  }
}
