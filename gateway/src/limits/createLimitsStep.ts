import { errorOutcome } from '../pipeline/outcome';
import type { EntryStep } from '../pipeline/types';
import type { OperationLimiter } from '@roam/operation-limits';

/**
 * Pipeline step (run after the persisted-query step, which fills in the query text) checking the
 * document text before anything parses it: its size in UTF-8 bytes (`MAX_DOCUMENT_BYTES_LIMIT`) and
 * its token count (`MAX_TOKENS_LIMIT`, counted with a parser that stops past the limit), with the
 * client's limits. In `measure` mode it only logs; in `off` mode it does nothing. Entries without query text pass.
 * The WebSocket front door runs it too, so subscriptions get the same codes.
 *
 * @returns the step; it never throws.
 */
export function createLimitsStep(limiter: OperationLimiter, logger: { info(obj: object, msg: string): void }): EntryStep {
  return (entry, request) => {
    if (entry.query === undefined) return entry;
    const limits = limiter.limitsFor(request.clientName);
    if (limits.mode === 'off') return entry;
    const violation = limiter.checkSource(entry.query, limits);
    if (!violation) return entry;
    logger.info({ clientName: request.clientName, code: violation.code, measured: violation.measured, limit: violation.limit, mode: limits.mode }, limits.mode === 'enforce' ? 'document rejected by limits' : 'document over limits (measure mode: not rejected)');
    if (limits.mode === 'measure') {
      limiter.stats.measuredOverLimit++;
      return entry;
    }
    limiter.stats.rejected++;
    return errorOutcome(violation.code, violation.message, { measured: violation.measured, limit: violation.limit }, {}, 400);
  };
}
