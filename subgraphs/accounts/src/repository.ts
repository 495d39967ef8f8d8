import { CallCounter } from '@roam/subgraph-kit';
import type { UserRow } from './seed';

/** Data access of the accounts subgraph; an in-memory seed now, a database later. */
export interface UserRepository {
  /** @returns the users with `ids`, in the same order, `undefined` for an unknown id. One call per batch. */
  findByIds(ids: readonly string[]): Promise<(UserRow | undefined)[]>;
  /** @returns every user, in seed order. */
  findAll(): Promise<readonly UserRow[]>;
  /** Counts calls per method. */
  readonly calls: CallCounter;
}

/** {@link UserRepository} over an in-memory array. */
export class InMemoryUserRepository implements UserRepository {
  readonly calls = new CallCounter();
  private readonly byId: Map<string, UserRow>;

  constructor(private readonly rows: readonly UserRow[]) {
    this.byId = new Map(rows.map((r) => [r.id, r]));
  }

  async findByIds(ids: readonly string[]): Promise<(UserRow | undefined)[]> {
    this.calls.record('findByIds');
    return ids.map((id) => this.byId.get(id));
  }

  async findAll(): Promise<readonly UserRow[]> {
    this.calls.record('findAll');
    return this.rows;
  }
}
