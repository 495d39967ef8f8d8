import type { CheckContext, ManifestCheck } from './checks';
import type { EntryProblem, ManifestEntry } from './types';

/**
 * Runs every check on every entry and collects all problems (nothing stops at the first one), plus
 * duplicate ids with different texts.
 *
 * @param entries - the manifest's entries.
 * @param context - the schema the entries must validate against.
 * @param checks - the checks to run, e.g. {@link DEFAULT_CHECKS} plus a cost check.
 * @returns every problem, in entry order; empty when all entries are fine.
 */
export function checkManifest(entries: readonly ManifestEntry[], context: CheckContext, checks: readonly ManifestCheck[]): EntryProblem[] {
  const problems: EntryProblem[] = [];
  const seen = new Map<string, string>();
  for (const entry of entries) {
    const where = { id: entry.id, ...(entry.name ? { name: entry.name } : {}) };
    const previous = seen.get(entry.id);
    if (previous !== undefined && previous !== entry.body) problems.push({ ...where, message: 'the same id appears twice with different texts' });
    seen.set(entry.id, entry.body);
    for (const check of checks) {
      let found: readonly string[];
      try {
        found = check(entry, context);
      } catch (error) {
        found = [`check failed: ${(error as Error).message}`];
      }
      for (const message of found) problems.push({ ...where, message });
    }
  }
  return problems;
}
