import { CallCounter } from '@roam/subgraph-kit';
import type { ReviewRow } from './seed';

/** Data access of the reviews subgraph; an in-memory seed now, a database later. */
export interface ReviewRepository {
  /** @returns the reviews with `ids`, in the same order, `undefined` for an unknown id. One call per batch. */
  findByIds(ids: readonly string[]): Promise<(ReviewRow | undefined)[]>;
  /** @returns for each author id, a new array of that author's reviews in insertion order. One call per batch. */
  findByAuthorIds(authorIds: readonly string[]): Promise<ReviewRow[][]>;
  /** @returns for each UPC, that product's reviews in insertion order. One call per batch. */
  findByProductUpcs(upcs: readonly string[]): Promise<ReviewRow[][]>;
  /** Stores a new review and gives it the next id. @returns the stored row. */
  insert(review: Omit<ReviewRow, 'id'>): Promise<ReviewRow>;
  /**
   * Stores a new review unless one was already stored with `idempotencyKey` (the gateway's derived
   * `Idempotency-Key`, `<client key>:<fetch index>`): then nothing is written and that review is returned.
   * The check and the write are one step (no other insert can come between).
   * @returns the row and whether it was created now.
   */
  insertOnce(idempotencyKey: string, review: Omit<ReviewRow, 'id'>): Promise<{ readonly row: ReviewRow; readonly created: boolean }>;
  /** Counts calls per method. */
  readonly calls: CallCounter;
}

/** Idempotency keys remembered by {@link InMemoryReviewRepository} (oldest forgotten first): about a day of a busy test deployment. */
export const MAX_IDEMPOTENCY_KEYS = 100_000;

/** {@link ReviewRepository} over in-memory arrays with indexes by author and product. */
export class InMemoryReviewRepository implements ReviewRepository {
  readonly calls = new CallCounter();
  private readonly byId = new Map<string, ReviewRow>();
  private readonly byAuthor = new Map<string, ReviewRow[]>();
  private readonly byProduct = new Map<string, ReviewRow[]>();
  private nextId = 1;
  /** Review id by idempotency key, oldest first; at most {@link MAX_IDEMPOTENCY_KEYS} kept. */
  private readonly byIdempotencyKey = new Map<string, string>();

  constructor(rows: readonly ReviewRow[]) {
    for (const row of rows) this.index(row);
  }

  private index(row: ReviewRow): void {
    this.byId.set(row.id, row);
    const a = this.byAuthor.get(row.authorId) ?? [];
    a.push(row);
    this.byAuthor.set(row.authorId, a);
    const p = this.byProduct.get(row.productUpc) ?? [];
    p.push(row);
    this.byProduct.set(row.productUpc, p);
    const n = Number(row.id);
    if (Number.isInteger(n) && n >= this.nextId) this.nextId = n + 1;
  }

  async findByIds(ids: readonly string[]): Promise<(ReviewRow | undefined)[]> {
    this.calls.record('findByIds');
    return ids.map((id) => this.byId.get(id));
  }

  async findByAuthorIds(authorIds: readonly string[]): Promise<ReviewRow[][]> {
    this.calls.record('findByAuthorIds');
    return authorIds.map((id) => [...(this.byAuthor.get(id) ?? [])]);
  }

  async findByProductUpcs(upcs: readonly string[]): Promise<ReviewRow[][]> {
    this.calls.record('findByProductUpcs');
    return upcs.map((upc) => [...(this.byProduct.get(upc) ?? [])]);
  }

  async insert(review: Omit<ReviewRow, 'id'>): Promise<ReviewRow> {
    this.calls.record('insert');
    const row: ReviewRow = { id: String(this.nextId), ...review };
    this.index(row);
    return row;
  }

  async insertOnce(idempotencyKey: string, review: Omit<ReviewRow, 'id'>): Promise<{ readonly row: ReviewRow; readonly created: boolean }> {
    const existing = this.byIdempotencyKey.get(idempotencyKey);
    if (existing !== undefined) {
      this.calls.record('insertOnce:duplicate');
      return { row: this.byId.get(existing)!, created: false };
    }
    this.calls.record('insert');
    const row: ReviewRow = { id: String(this.nextId), ...review };
    this.index(row);
    this.byIdempotencyKey.set(idempotencyKey, row.id);
    if (this.byIdempotencyKey.size > MAX_IDEMPOTENCY_KEYS) this.byIdempotencyKey.delete(this.byIdempotencyKey.keys().next().value!);
    return { row, created: true };
  }
}
