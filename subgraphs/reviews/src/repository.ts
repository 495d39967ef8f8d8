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
  /** Counts calls per method. */
  readonly calls: CallCounter;
}

/** {@link ReviewRepository} over in-memory arrays with indexes by author and product. */
export class InMemoryReviewRepository implements ReviewRepository {
  readonly calls = new CallCounter();
  private readonly byId = new Map<string, ReviewRow>();
  private readonly byAuthor = new Map<string, ReviewRow[]>();
  private readonly byProduct = new Map<string, ReviewRow[]>();
  private nextId = 1;

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
}
