import { ERROR_CODES, type ErrorCode } from '../errors';
import type { EntryOutcome } from './types';

/**
 * Builds the outcome of an entry that failed with one Roam error.
 *
 * @param code - the error code; the HTTP status defaults to its status in {@link ERROR_CODES}.
 * @param message - says what was expected and what came.
 * @param extensions - extra fields for `errors[0].extensions` (e.g. measured value and limit).
 * @param headers - extra response headers (e.g. `cache-control`, `allow`).
 */
export function errorOutcome(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, headers: Record<string, string> = {}, status: number = ERROR_CODES[code].status): EntryOutcome {
  return {
    kind: 'outcome',
    status,
    headers: new Map(Object.entries(headers)),
    body: JSON.stringify({ errors: [{ message, extensions: { ...extensions, code } }] }),
  };
}

/** @returns whether a step's result ends the entry. */
export function isOutcome(value: unknown): value is EntryOutcome {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'outcome';
}
