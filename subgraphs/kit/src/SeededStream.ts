/**
 * A deterministic stream of pseudo-random floats in [0, 1) (mulberry32): the same seed gives the same
 * draws in every process, which is how the subgraphs' generated `large` rows agree on ids without
 * talking to each other.
 */
export class SeededStream {
  private state: number;

  /** @param seed - 32-bit seed; @param skipDraws - draws to discard first (to start at a table's slot, see LARGE_DATASET_STREAM). */
  constructor(seed: number, skipDraws = 0) {
    this.state = seed >>> 0;
    this.skip(skipDraws);
  }

  /** @returns the next float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** @returns an integer in [0, n) from one draw. */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** @returns one element of `xs` chosen by one draw. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)] as T;
  }

  /** Discards `draws` draws. */
  skip(draws: number): void {
    for (let i = 0; i < draws; i++) this.next();
  }
}
