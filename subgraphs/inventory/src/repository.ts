import { CallCounter } from '@roam/subgraph-kit';
import type { InventoryRow } from './seed';

/** Data access of the inventory subgraph; an in-memory seed now, a database later. */
export interface InventoryRepository {
  /** @returns the stock rows of `upcs`, in the same order, `undefined` for an unknown UPC. One call per batch. */
  findByUpcs(upcs: readonly string[]): Promise<(InventoryRow | undefined)[]>;
  /**
   * Sets whether a product is in stock.
   * @returns the updated row, or `undefined` when the UPC is unknown.
   */
  setInStock(upc: string, inStock: boolean): Promise<InventoryRow | undefined>;
  /** Counts calls per method. */
  readonly calls: CallCounter;
}

/** {@link InventoryRepository} over an in-memory array. */
export class InMemoryInventoryRepository implements InventoryRepository {
  readonly calls = new CallCounter();
  private readonly byUpc: Map<string, InventoryRow>;

  constructor(rows: readonly InventoryRow[]) {
    this.byUpc = new Map(rows.map((r) => [r.upc, { ...r }]));
  }

  async findByUpcs(upcs: readonly string[]): Promise<(InventoryRow | undefined)[]> {
    this.calls.record('findByUpcs');
    return upcs.map((upc) => this.byUpc.get(upc));
  }

  async setInStock(upc: string, inStock: boolean): Promise<InventoryRow | undefined> {
    this.calls.record('setInStock');
    const row = this.byUpc.get(upc);
    if (row) row.inStock = inStock;
    return row;
  }
}
