import { createHash } from 'node:crypto';

/**
 * The fingerprint of a keyed request (IETF idempotency-key draft §2.4 leaves its fields to the resource): SHA-256
 * of the document hash, the operation name and the variables as canonical JSON (object keys sorted at every
 * level), so a retry that serialises its variables in another key order, or sends a persisted id instead of the
 * text, is still the same request.
 *
 * @param documentHash - SHA-256 hex of the document text.
 * @param operationName - the selected operation's name, if any.
 * @param variables - the variables as sent (JSON values).
 * @returns 64 hex characters.
 */
export function requestFingerprint(documentHash: string, operationName: string | undefined, variables: Readonly<Record<string, unknown>>): string {
  return createHash('sha256')
    .update(documentHash)
    .update('\u0000')
    .update(operationName ?? '')
    .update('\u0000')
    .update(canonicalJson(variables))
    .digest('hex');
}

/** JSON text with object keys sorted (arrays keep their order); `undefined` members are dropped as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}
