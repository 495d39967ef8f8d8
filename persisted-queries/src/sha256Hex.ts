import { createHash } from 'node:crypto';

/**
 * The persisted-query id of a document: SHA-256 of its exact UTF-8 bytes, as 64 lowercase hex digits
 * (Apollo's APQ protocol, `extensions.persistedQuery.sha256Hash`). The text is hashed as given: no
 * re-printing, no whitespace or case normalisation, so the client, the manifest and the gateway must
 * agree on the bytes.
 *
 * @param text - the document text exactly as sent.
 * @returns the hex digest, e.g. `sha256Hex("{ me { id } }")`.
 */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
