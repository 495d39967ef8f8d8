import { CODE } from '@roam/errors';
import type { ErrorCode } from '@roam/errors';
import type { OperationLimits } from './OperationLimits';

/** Codes of the operation limits (Apollo Router's where they exist), from the shared catalogue (`@roam/errors`). */
export type LimitCode = Extract<ErrorCode, 'COST_ESTIMATED_TOO_EXPENSIVE' | 'MAX_DEPTH_LIMIT' | 'MAX_ALIASES_LIMIT' | 'MAX_ROOT_FIELDS_LIMIT' | 'MAX_TOKENS_LIMIT' | 'MAX_DOCUMENT_BYTES_LIMIT'>;

/** One exceeded limit: its code, a message, the measured value and the limit. */
export interface LimitViolation {
  readonly code: LimitCode;
  readonly message: string;
  readonly measured: number;
  readonly limit: number;
}

/** What was measured of an operation; absent values are not checked. */
export interface Measurements {
  readonly cost?: number;
  readonly depth?: number;
  readonly aliases?: number;
  readonly rootFields?: number;
  readonly tokens?: number;
  readonly documentBytes?: number;
}

const CHECKS: readonly { key: keyof Measurements; limit: keyof OperationLimits; code: LimitCode; what: string }[] = [
  { key: 'documentBytes', limit: 'maxDocumentBytes', code: CODE.MAX_DOCUMENT_BYTES_LIMIT, what: 'document size in bytes' },
  { key: 'tokens', limit: 'maxTokens', code: CODE.MAX_TOKENS_LIMIT, what: 'number of tokens' },
  { key: 'depth', limit: 'maxDepth', code: CODE.MAX_DEPTH_LIMIT, what: 'depth' },
  { key: 'aliases', limit: 'maxAliases', code: CODE.MAX_ALIASES_LIMIT, what: 'number of aliases' },
  { key: 'rootFields', limit: 'maxRootFields', code: CODE.MAX_ROOT_FIELDS_LIMIT, what: 'number of root fields' },
  { key: 'cost', limit: 'maxCost', code: CODE.COST_ESTIMATED_TOO_EXPENSIVE, what: 'estimated cost' },
];

/**
 * Compares measurements with limits.
 *
 * @returns every exceeded limit, cheapest check first (bytes, tokens, depth, aliases, root fields, cost);
 *   empty when all pass. A value equal to its limit passes.
 */
export function findViolations(measured: Measurements, limits: OperationLimits): LimitViolation[] {
  const violations: LimitViolation[] = [];
  for (const check of CHECKS) {
    const value = measured[check.key];
    const limit = limits[check.limit] as number;
    if (value !== undefined && value > limit) {
      violations.push({ code: check.code, message: `The operation's ${check.what} is ${value}, over the limit of ${limit}.`, measured: value, limit });
    }
  }
  return violations;
}
