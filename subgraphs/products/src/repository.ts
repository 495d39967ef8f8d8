import { CallCounter } from '@roam/subgraph-kit';
import type { ProductRow } from './seed';

/** Data access of the products subgraph; an in-memory seed now, a database later. */
export interface ProductRepository {
  /** @returns the products with `upcs`, in the same order, `undefined` for an unknown UPC. One call per batch. */
  findByUpcs(upcs: readonly string[]): Promise<(ProductRow | undefined)[]>;
  /** @returns the first `limit` products in catalog order. */
  findFirst(limit: number): Promise<readonly ProductRow[]>;
  /** Counts calls per method. */
  readonly calls: CallCounter;
}

/** {@link ProductRepository} over an in-memory array. */
export class InMemoryProductRepository implements ProductRepository {
  readonly calls = new CallCounter();
  private readonly byUpc: Map<string, ProductRow>;

  constructor(private readonly rows: readonly ProductRow[]) {
    this.byUpc = new Map(rows.map((r) => [r.upc, r]));
  }

  async findByUpcs(upcs: readonly string[]): Promise<(ProductRow | undefined)[]> {
    this.calls.record('findByUpcs');
    return upcs.map((upc) => this.byUpc.get(upc));
  }

  async findFirst(limit: number): Promise<readonly ProductRow[]> {
    this.calls.record('findFirst');
    return this.rows.slice(0, Math.max(0, limit));
  }
}
