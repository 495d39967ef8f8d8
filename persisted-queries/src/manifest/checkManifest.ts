import type { CheckContext, CheckProblem, ManifestCheck } from './checks';
import type { EntryMeasurements, EntryProblem, ManifestEntry } from './types';

/** The result of {@link runManifestChecks}. */
export interface ManifestCheckResult {
  /** Every problem, in entry order; empty when all entries are fine. */
  readonly problems: EntryProblem[];
  /**
   * What the checks measured, one item per entry that some check measured (e.g. its cost), in entry
   * order; `name` is the entry's, else its operations' names as a check reported them.
   */
  readonly measurements: EntryMeasurements[];
}

/**
 * Runs every check on every entry and collects all problems (nothing stops at the first one), plus
 * duplicate ids with different texts, and what the checks measured.
 *
 * @param entries - the manifest's entries.
 * @param context - the schema (and supergraph SDL) the entries are checked against.
 * @param checks - the checks to run, e.g. {@link DEFAULT_CHECKS} plus the operation-limits check.
 * @returns problems and measurements; never throws (a throwing check is one problem).
 */
export function runManifestChecks(entries: readonly ManifestEntry[], context: CheckContext, checks: readonly ManifestCheck[]): ManifestCheckResult {
  const problems: EntryProblem[] = [];
  const measurements: EntryMeasurements[] = [];
  const seen = new Map<string, string>();
  for (const entry of entries) {
    const where = { id: entry.id, ...(entry.name ? { name: entry.name } : {}) };
    const previous = seen.get(entry.id);
    if (previous !== undefined && previous !== entry.body) problems.push({ ...where, message: 'the same id appears twice with different texts' });
    seen.set(entry.id, entry.body);
    let values: Record<string, number | null> | undefined;
    let operationNames: string | undefined;
    for (const check of checks) {
      let found: readonly (string | CheckProblem)[];
      try {
        const result = check(entry, context);
        if (isReport(result)) {
          found = result.problems;
          if (result.measurements) values = { ...values, ...result.measurements };
          operationNames ??= result.operationNames;
        } else found = result;
      } catch (error) {
        found = [`check failed: ${(error as Error).message}`];
      }
      for (const problem of found) problems.push(typeof problem === 'string' ? { ...where, message: problem } : { ...where, ...problem });
    }
    if (values) measurements.push({ ...where, ...(where.name === undefined && operationNames ? { name: operationNames } : {}), values });
  }
  return { problems, measurements };
}

function isReport(result: ReturnType<ManifestCheck>): result is Extract<ReturnType<ManifestCheck>, { problems: unknown }> {
  return !Array.isArray(result);
}

/**
 * {@link runManifestChecks} without the measurements.
 *
 * @returns every problem, in entry order; empty when all entries are fine.
 */
export function checkManifest(entries: readonly ManifestEntry[], context: CheckContext, checks: readonly ManifestCheck[]): EntryProblem[] {
  return runManifestChecks(entries, context, checks).problems;
}
