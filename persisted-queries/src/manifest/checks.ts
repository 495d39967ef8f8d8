import { Kind, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { sha256Hex } from '../sha256Hex';
import type { ManifestEntry } from './types';

/** What every check gets besides the entry. */
export interface CheckContext {
  /** The current supergraph's API schema (what clients can query). */
  readonly schema: GraphQLSchema;
  /** The supergraph SDL it was built from (keeps `@cost`/`@listSize`, which the API schema drops); absent when a caller has only a schema. */
  readonly supergraphSdl?: string;
}

/** One problem a check found: a message, and for a limit its code, measured value and limit. */
export interface CheckProblem {
  readonly message: string;
  readonly code?: string;
  readonly measured?: number;
  readonly limit?: number;
}

/** The richer result a check may return: its problems and what it measured (shown by `roam-pq`, e.g. the cost). */
export interface CheckReport {
  readonly problems: readonly (string | CheckProblem)[];
  /** Values by name, e.g. `{ cost: 12, maxCost: 1000 }`; null when not measurable. */
  readonly measurements?: Readonly<Record<string, number | null>>;
  /** The names of the entry's operations (comma-separated), shown when the manifest gives the entry no name. */
  readonly operationNames?: string;
}

/**
 * One check run on every manifest entry before anything is written. Returns the problems found
 * (messages saying what was expected and what came), empty when the entry is fine, or a
 * {@link CheckReport} with measurements too. A check that throws counts as one problem carrying the
 * thrown message. More checks are added by passing a longer list to {@link checkManifest} (the
 * operation-limits check is `createOperationLimitsCheck`).
 */
export type ManifestCheck = (entry: ManifestEntry, context: CheckContext) => readonly string[] | CheckReport;

/** Hashed formats: `id` must be the SHA-256 lowercase hex of the exact `body` bytes. */
export const idIsSha256OfBody: ManifestCheck = (entry) => {
  if (!entry.hashed) return [];
  const expected = sha256Hex(entry.body);
  if (entry.id === expected) return [];
  const hint = /^[0-9a-f]{40}$/i.test(entry.id) ? ' (the id looks like SHA-1: set hashAlgorithm: sha256)' : '';
  return [`id is not the SHA-256 of the text: expected ${expected}, got ${entry.id}${hint}`];
};

/** The text parses, has at least one operation, and validates against the schema (graphql-js `specifiedRules`). */
export const documentIsValid: ManifestCheck = (entry, { schema }) => {
  let document: DocumentNode;
  try {
    document = parse(entry.body);
  } catch (error) {
    // graphql-js parses recursively: a value or selection nested thousands of levels deep overflows the stack
    return [`does not parse: ${error instanceof RangeError ? 'it nests values or selections too deeply (the gateway answers GRAPHQL_PARSE_FAILED)' : (error as Error).message}`];
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 0) return ['contains no operation'];
  const errors = validate(schema, document);
  const problems = errors.map((e) => `does not validate: ${e.message}`);
  if (entry.type !== undefined && operations.length === 1 && operations[0]!.operation !== entry.type) problems.push(`type is "${entry.type}" but the operation is a ${operations[0]!.operation}`);
  return problems;
};

/** The checks `roam-pq push` and `verify` run by default, in order. */
export const DEFAULT_CHECKS: readonly ManifestCheck[] = [idIsSha256OfBody, documentIsValid];
