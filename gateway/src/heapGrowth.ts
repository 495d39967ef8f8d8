import { setFlagsFromString } from 'node:v8';

/**
 * Caps how far V8 lets the old generation grow past the data that survived the last full GC (V8's
 * `--heap-growing-percent`: the next limit is live × (1 + `percent` / 100)). V8 reads the flag at every full
 * GC, so setting it after start works (unlike heap sizes such as `--max-semi-space-size`, fixed when the heap
 * is created); `roam-gateway` calls it before loading the supergraph. Without it V8 picks the factor from GC
 * speed against promotion speed, and a gateway promoting tens of MB/s under 50 concurrent requests gets V8's
 * maximum (4× live on a 24 GB host), so RSS at the end of a load swings between 1× and 4× the live
 * heap (README "Memory").
 * @param percent whole percent, 10 to 1000; 0 does nothing (V8 decides).
 * @throws RangeError for a percent outside 0 and 10-1000.
 */
export function capHeapGrowth(percent: number): void {
  if (percent === 0) return;
  if (!Number.isInteger(percent) || percent < 10 || percent > 1000) throw new RangeError(`heap growth percent must be 0 or 10-1000, got ${percent}`);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
