import { Kind, parse, print, visit, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type VariableDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { SubgraphError, SubgraphResponse } from './types';
import { setOwnKey } from '../executor/setOwnKey';

/**
 * Fetch merging (issue 19): several query fetches to one subgraph that become ready in the same event-loop turn
 * are sent as one GraphQL operation, each part's root fields under an alias `_<i>_<response key>`, its variables
 * as `$_<i>_<name>` and its fragments as `_<i>_<name>`, and the reply is split back into one response per part.
 * This is the "batch execution" of GraphQL Tools' schema stitching (`@graphql-tools/batch-execute`, which Hive
 * Gateway uses): root fields of a query are independent (GraphQL spec §6.3.1: a query's root fields may run in
 * parallel), so one operation with the aliased fields asks exactly what the separate operations asked. Errors whose
 * `path` starts at an alias go to that part with the path restored; errors without a path go to every part; error
 * `locations` (positions in the merged document) are dropped. Roam's executor reads only an error's message,
 * path and extensions.
 */

/** A part ready to merge: its operation parsed once. */
interface PartDocument {
  readonly operation: OperationDefinitionNode;
  readonly fragments: readonly FragmentDefinitionNode[];
}

/** A merged operation: the text sent, and how the reply's root fields map back to the parts. */
export interface MergedOperation {
  /** The merged document's text. */
  readonly query: string;
  /** Its operation name: the first part's with `__merged`, or none. */
  readonly operationName: string | undefined;
  /** Alias in the merged reply → the part (index into the merged list) and the part's own response key. */
  readonly aliases: ReadonlyMap<string, { readonly part: number; readonly key: string }>;
  /** Number of parts. */
  readonly parts: number;
}

/**
 * Parsed part operations by text; `false`: not mergeable (a mutation, operation directives, root fragments, several
 * operations). At most 2000 of them and 2 million characters of operation text: a parsed document takes about 20
 * bytes per character of its text, so a few thousand large subgraph operations would otherwise keep hundreds of MB.
 */
const partDocuments = new LRUCache<string, PartDocument | false>({ max: 2000, maxSize: 2_000_000, sizeCalculation: (_part, query) => query.length });
/**
 * Merged operations by the parts' texts (joined with a separator no GraphQL document holds). At most 2000 of them and
 * 8 million characters of keys and merged texts: each entry holds up to `maxMergedFetches` operations' texts twice,
 * and the combinations of fetches that meet in one turn vary without end under concurrent load, so a count alone
 * let the cache keep hundreds of MB (2000 merges of 16 operations of 2 KB each: about 140 MB).
 */
const mergedOperations = new LRUCache<string, MergedOperation>({ max: 2000, maxSize: 8_000_000, sizeCalculation: (merged, key) => key.length + merged.query.length });

/**
 * @param query - a subgraph operation's text (as the query planner wrote it).
 * @returns whether it can be merged with others: one query operation without directives whose root selections are all fields.
 */
export function isMergeable(query: string): boolean {
  return partDocument(query) !== null;
}

function partDocument(query: string): PartDocument | null {
  let part = partDocuments.get(query);
  if (part === undefined) {
    part = readPart(query) ?? false;
    partDocuments.set(query, part);
  }
  return part || null;
}

function readPart(query: string): PartDocument | null {
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return null;
  }
  let operation: OperationDefinitionNode | undefined;
  const fragments: FragmentDefinitionNode[] = [];
  for (const d of document.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) {
      if (operation) return null;
      operation = d;
    } else if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.push(d);
    else return null;
  }
  if (!operation || operation.operation !== 'query' || operation.directives?.length) return null;
  if (operation.selectionSet.selections.some((s) => s.kind !== Kind.FIELD)) return null;
  return { operation, fragments };
}

/**
 * The merged operation of some mergeable part operations (cached by their texts).
 *
 * @param queries - the parts' operation texts, in order (each passed {@link isMergeable}); at least two.
 * @returns the merged operation.
 * @throws Error when a part is not mergeable (a caller bug).
 */
export function mergeOperations(queries: readonly string[]): MergedOperation {
  const key = queries.join('\u0000');
  let merged = mergedOperations.get(key);
  if (!merged) {
    merged = buildMerged(queries);
    mergedOperations.set(key, merged);
  }
  return merged;
}

function buildMerged(queries: readonly string[]): MergedOperation {
  const variableDefinitions: VariableDefinitionNode[] = [];
  const selections: FieldNode[] = [];
  const fragments: FragmentDefinitionNode[] = [];
  const aliases = new Map<string, { part: number; key: string }>();
  queries.forEach((query, i) => {
    const part = partDocument(query);
    if (!part) throw new Error(`subgraph operation ${i} cannot be merged`);
    const prefix = `_${i}_`;
    // Variables and fragment names get the part's prefix everywhere they occur (definitions, uses, spreads).
    const rename = <T extends OperationDefinitionNode | FragmentDefinitionNode>(node: T): T =>
      visit(node, {
        Variable: (v) => ({ ...v, name: { ...v.name, value: prefix + v.name.value } }),
        FragmentSpread: (s) => ({ ...s, name: { ...s.name, value: prefix + s.name.value } }),
        FragmentDefinition: (f) => ({ ...f, name: { ...f.name, value: prefix + f.name.value } }),
      });
    const operation = rename(part.operation);
    variableDefinitions.push(...(operation.variableDefinitions ?? []));
    for (const s of operation.selectionSet.selections) {
      const field = s as FieldNode;
      const responseKey = field.alias?.value ?? field.name.value;
      const alias = prefix + responseKey;
      aliases.set(alias, { part: i, key: responseKey });
      selections.push({ ...field, alias: { kind: Kind.NAME, value: alias } });
    }
    for (const f of part.fragments) fragments.push(rename(f));
  });
  const firstName = partDocument(queries[0]!)?.operation.name?.value;
  const operationName = firstName === undefined ? undefined : `${firstName}__merged`;
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        ...(operationName ? { name: { kind: Kind.NAME, value: operationName } } : {}),
        variableDefinitions,
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      },
      ...fragments,
    ],
  };
  return { query: print(document), operationName, aliases, parts: queries.length };
}

/**
 * The request body of a merged operation, built from each part's variables already serialised one by one
 * (no variable is serialised twice); each name becomes `_<i>_<name>`, quoted as JSON whatever it holds.
 *
 * @param merged - the merged operation.
 * @param variables - per part, its variables as `[name, JSON text]` pairs.
 * @returns the JSON body to POST.
 */
export function mergedRequestText(merged: MergedOperation, variables: readonly (readonly (readonly [string, string])[])[]): string {
  let vars = '';
  for (let i = 0; i < variables.length; i++) {
    // The name is quoted as JSON: a name that is not a GraphQL name (an embedder's extra variable) cannot end the key
    // early and set another part's variable.
    for (const [name, json] of variables[i]!) vars += `${vars === '' ? '' : ','}${JSON.stringify(`_${i}_${name}`)}:${json}`;
  }
  const name = merged.operationName === undefined ? '' : `,"operationName":${JSON.stringify(merged.operationName)}`;
  return `{"query":${JSON.stringify(merged.query)},"variables":{${vars}}${name}}`;
}

/**
 * Splits a merged operation's GraphQL response into one response per part, each holding what a reply to that part
 * alone would have held:
 * - its root fields under their own response keys (own properties, `__proto__` included, as `JSON.parse` makes them);
 * - the errors whose `path` starts at one of its aliases, with the path restored; `locations` left out;
 * - every other entry of `errors` (no path, a path outside every alias, or a malformed entry such as `null` or a
 *   string, which is passed on as sent: the executor reports those as they come), and an `errors` member that is not
 *   a list, as sent: a subgraph may send them, and each part's caller must see them as it would have alone.
 *
 * @param merged - the merged operation the reply answers.
 * @param response - the decoded reply.
 * @returns one response per part, or `undefined` when the reply has no `data` object (a request error, or a
 *   non-null root field that failed and nulled everything): the parts must then be sent one by one, so that
 *   each gets exactly the answer it would have had alone. Never throws, whatever the reply holds.
 */
export function splitMergedResponse(merged: MergedOperation, response: SubgraphResponse): SubgraphResponse[] | undefined {
  const data = response.data;
  if (data === null || data === undefined || typeof data !== 'object') return undefined;
  const parts: { data: Record<string, unknown>; errors: unknown[] | undefined }[] = [];
  for (let i = 0; i < merged.parts; i++) parts.push({ data: {}, errors: undefined });
  for (const alias in data) {
    const target = merged.aliases.get(alias);
    if (target) setOwnKey(parts[target.part]!.data, target.key, data[alias]);
  }
  const errors: unknown = response.errors;
  if (Array.isArray(errors)) {
    for (const error of errors as unknown[]) {
      // A malformed entry (null, a string, a list) is not a GraphQL error: every part gets it as sent.
      if (typeof error !== 'object' || error === null || Array.isArray(error)) {
        for (const part of parts) (part.errors ??= []).push(error);
        continue;
      }
      const entry = error as SubgraphError & { locations?: unknown };
      const head = Array.isArray(entry.path) ? (entry.path as unknown[])[0] : undefined;
      const target = typeof head === 'string' ? merged.aliases.get(head) : undefined;
      // `locations` point into the merged document, which no caller sent: they are left out.
      const { locations: _merged, ...rest } = entry;
      if (target) {
        const part = parts[target.part]!;
        (part.errors ??= []).push({ ...rest, path: [target.key, ...entry.path!.slice(1)] });
      } else {
        for (const part of parts) (part.errors ??= []).push(rest);
      }
    }
  }
  // An `errors` member that is not a list (`{}`, a string) goes to every part as sent, as alone.
  const otherErrors = errors !== undefined && !Array.isArray(errors) ? { errors: errors as readonly SubgraphError[] } : undefined;
  return parts.map((p) => ({
    data: p.data,
    ...(p.errors ? { errors: p.errors as SubgraphError[] } : otherErrors),
    ...(response.cacheHint ? { cacheHint: response.cacheHint } : {}),
  }));
}
