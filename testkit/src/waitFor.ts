/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes.
 *
 * @param check - returns (or resolves to) a truthy value when done; a throw counts as "not yet".
 * @param timeoutMs - overall deadline in ms; @default 15000
 * @param intervalMs - pause between checks in ms; @default 50
 * @returns the first truthy value.
 * @throws Error with `description` when the deadline passes.
 */
export async function waitFor<T>(check: () => T | Promise<T>, description: string, timeoutMs = 15_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
