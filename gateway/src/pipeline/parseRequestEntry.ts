import { jsonDepthExceeds, MAX_JSON_DEPTH } from './jsonDepthExceeds';
import type { GraphQLRequestEntry } from './types';

/**
 * Checks the shape of one request entry (GraphQL over HTTP, "Request parameters"): `query` and
 * `operationName` strings or null, `variables` and `extensions` objects or null and nested at most
 * {@link MAX_JSON_DEPTH} levels (checked without recursion), `documentId` a string.
 *
 * @param value - one decoded JSON value (a batch element, or the whole body).
 * @returns the entry, or a message saying which field is wrong and what came.
 */
export function parseRequestEntry(value: unknown): GraphQLRequestEntry | { error: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: `Expected a JSON object with "query"; got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.` };
  }
  const v = value as Record<string, unknown>;
  const entry: { -readonly [K in keyof GraphQLRequestEntry]: GraphQLRequestEntry[K] } = {};
  if (v.query != null) {
    if (typeof v.query !== 'string') return { error: `Expected "query" to be a string; got ${typeof v.query}.` };
    entry.query = v.query;
  }
  if (v.operationName != null) {
    if (typeof v.operationName !== 'string') return { error: `Expected "operationName" to be a string; got ${typeof v.operationName}.` };
    entry.operationName = v.operationName;
  }
  for (const key of ['variables', 'extensions'] as const) {
    const field = v[key];
    if (field == null) continue;
    if (typeof field !== 'object' || Array.isArray(field)) return { error: `Expected "${key}" to be an object; got ${Array.isArray(field) ? 'an array' : typeof field}.` };
    if (jsonDepthExceeds(field, MAX_JSON_DEPTH)) return { error: `Expected "${key}" to nest at most ${MAX_JSON_DEPTH} levels of objects and arrays; it is nested too deeply.` };
    entry[key] = field as Record<string, unknown>;
  }
  if (v.documentId != null) {
    if (typeof v.documentId !== 'string') return { error: `Expected "documentId" to be a string; got ${typeof v.documentId}.` };
    entry.documentId = v.documentId;
  }
  return entry;
}
