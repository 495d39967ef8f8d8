import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Kind, parse, print, visit, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { ROOT } from './stack';

/** Folder of the copied federation gateway audit data (see its README). */
export const FED_AUDIT_DIR = join(ROOT, 'test/fixtures/fed-audit');

/** One audit query and what a conforming gateway answers: `data` (when given) and whether errors are expected. */
export interface AuditTest {
  readonly query: string;
  readonly expected: { readonly data?: unknown; readonly errors?: boolean };
}

/** One recorded subgraph exchange: the request the gateway sent and the reply the subgraph gave. */
export interface AuditRecording {
  readonly subgraph: string;
  readonly request: { readonly query: string; readonly variables?: Record<string, unknown> };
  readonly response: unknown;
}

/** One audit suite: a supergraph (placeholder URLs), its tests and its subgraph recordings. */
export interface AuditSuite {
  readonly id: string;
  readonly supergraph: string;
  readonly tests: readonly AuditTest[];
  readonly recordings: readonly AuditRecording[];
}

/** @returns every suite under {@link FED_AUDIT_DIR}, sorted by id. */
export function loadAuditSuites(dir = FED_AUDIT_DIR): AuditSuite[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'tests.json')))
    .map((d) => d.name)
    .sort()
    .map((id) => ({
      id,
      supergraph: readFileSync(join(dir, id, 'supergraph.graphql'), 'utf8'),
      tests: JSON.parse(readFileSync(join(dir, id, 'tests.json'), 'utf8')) as AuditTest[],
      recordings: JSON.parse(readFileSync(join(dir, id, 'recordings.json'), 'utf8')) as AuditRecording[],
    }));
}

/**
 * Canonical form of a subgraph request for matching: the document printed without operation names
 * (gateways name generated operations differently) and the variables with sorted keys.
 */
export function requestKey(subgraph: string, query: string, variables: unknown): string {
  let printed: string;
  try {
    const doc = visit(parse(query), {
      OperationDefinition: (node) => ({ ...node, name: undefined }),
    });
    printed = print(doc);
  } catch {
    printed = query;
  }
  return `${subgraph}\n${printed}\n${stableStringify(variables ?? {})}`;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A loopback HTTP server answering `POST /<suite>/<subgraph>` from recordings. */
export interface ReplayServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Requests that matched no recording (suite, subgraph, query), for diagnostics. */
  readonly misses: string[];
  /** Merged operations received (Roam's fetch merging), each answered part by part. */
  readonly merged: { count: number };
  /** Exchanges recorded from the audit's own subgraph servers during this run (record mode only). */
  readonly recorded: { readonly suite: string; readonly recording: AuditRecording }[];
  /** Replaces the `http://SUBGRAPHS/` placeholder of a suite's supergraph with this server's origin. */
  supergraphFor(suite: AuditSuite): string;
  close(): Promise<void>;
}

/**
 * Starts one replay server for all `suites` on a free loopback port. A request is matched by its
 * subgraph, query (operation names ignored) and variables; failing that, an entity fetch is answered
 * representation by representation from the error-free recordings of the same query. An unmatched
 * request gets HTTP 200 with a GraphQL error, as a subgraph that cannot resolve it would.
 *
 * Live mode (`options.liveFrom`, `FED_AUDIT_LIVE_FROM`): every request is forwarded as sent to the audit's own
 * subgraph servers (`npx tsx src/cli.ts serve --port <port>` in a checkout of graphql-hive/federation-gateway-audit)
 * and their reply relayed: the audit against the real subgraphs, merged operations included; nothing is recorded.
 *
 * Record mode (`options.recordFrom`: the origin of the audit's own subgraph servers, `npm start` of
 * graphql-hive/federation-gateway-audit): an unmatched request is forwarded there instead, its reply is
 * answered and kept in {@link ReplayServer.recorded} (see {@link saveRecordings}).
 */
export async function startReplayServer(suites: readonly AuditSuite[], options: { recordFrom?: string; liveFrom?: string } = {}): Promise<ReplayServer> {
  const replies = new Map<string, string>();
  // Entity fetches also answer per representation (a subgraph resolves each representation on its own),
  // so a gateway that sends a representation once instead of several times still gets its recorded entity.
  const entities = new Map<string, Map<string, unknown>>();
  for (const suite of suites) {
    for (const r of suite.recordings) {
      replies.set(`${suite.id}/${requestKey(r.subgraph, r.request.query, r.request.variables)}`, JSON.stringify(r.response));
      const reps = r.request.variables?.representations;
      const response = r.response as { data?: { _entities?: unknown[] }; errors?: unknown[] };
      if (Array.isArray(reps) && Array.isArray(response.data?._entities) && response.data._entities.length === reps.length && !response.errors?.length) {
        const { representations: _omit, ...rest } = r.request.variables!;
        const key = `${suite.id}/${requestKey(r.subgraph, r.request.query, rest)}`;
        const byRep = entities.get(key) ?? new Map<string, unknown>();
        reps.forEach((rep, i) => byRep.set(stableStringify(rep), response.data!._entities![i]));
        entities.set(key, byRep);
      }
    }
  }
  const entityReply = (suiteId: string, subgraph: string, body: { query?: string; variables?: Record<string, unknown> }): string | undefined => {
    const reps = body.variables?.representations;
    if (!Array.isArray(reps)) return undefined;
    const { representations: _omit, ...rest } = body.variables!;
    const byRep = entities.get(`${suiteId}/${requestKey(subgraph, body.query ?? '', rest)}`);
    if (!byRep || !reps.every((rep) => byRep.has(stableStringify(rep)))) return undefined;
    return JSON.stringify({ data: { _entities: reps.map((rep) => byRep.get(stableStringify(rep))) } });
  };
  const misses: string[] = [];
  const merged = { count: 0 };
  const recorded: { suite: string; recording: AuditRecording }[] = [];
  const record = async (suite: string, subgraph: string, body: { query?: string; variables?: Record<string, unknown> }): Promise<string> => {
    const res = await fetch(`${options.recordFrom}/${suite}/${subgraph}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const response = (await res.json()) as unknown;
    const request = { query: body.query ?? '', ...(body.variables && Object.keys(body.variables).length > 0 ? { variables: body.variables } : {}) };
    recorded.push({ suite, recording: { subgraph, request, response } });
    const text = JSON.stringify(response);
    replies.set(`${suite}/${requestKey(subgraph, request.query, request.variables)}`, text);
    return text;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const [, suiteId = '', subgraph = ''] = (req.url ?? '').split('?')[0]!.split('/');
      let body: { query?: string; variables?: Record<string, unknown> } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        /* answered as a miss below */
      }
      const answer = async (one: { query?: string; variables?: Record<string, unknown> }): Promise<string | undefined> => {
        let reply = replies.get(`${suiteId}/${requestKey(subgraph, one.query ?? '', one.variables)}`) ?? entityReply(suiteId, subgraph, one);
        if (reply === undefined && options.recordFrom) reply = await record(suiteId, subgraph, one).catch(() => undefined);
        if (reply === undefined) misses.push(`${suiteId}/${subgraph}: ${one.query} ${JSON.stringify(one.variables)}`);
        return reply;
      };
      const parts = splitMergedRequest(body);
      let reply: string | undefined;
      if (options.liveFrom) {
        // live mode: every request goes to the audit's own subgraph servers as sent (merged operations included)
        if (parts) merged.count++;
        reply = await fetch(`${options.liveFrom}/${suiteId}/${subgraph}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
          .then((r) => r.text())
          .catch(() => undefined);
        if (reply === undefined) misses.push(`${suiteId}/${subgraph}: live subgraph unreachable`);
      } else if (parts) {
        merged.count++;
        const answers = await Promise.all(parts.map((part) => answer(part)));
        reply = answers.every((a) => a !== undefined) ? composeMergedReply(answers as string[]) : undefined;
      } else {
        reply = await answer(body);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(reply ?? JSON.stringify({ data: null, errors: [{ message: 'no recorded reply for this request' }] }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    misses,
    merged,
    recorded,
    supergraphFor: (suite) => suite.supergraph.replaceAll('http://SUBGRAPHS/', `${origin}/`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Judges one gateway response the way the audit does: `data` deep-equals the expected `data` when the
 * test gives one, and the response carries errors exactly when the test expects errors.
 * @returns `undefined` when it passes, else a one-line reason.
 */
export function judgeAuditResponse(test: AuditTest, body: { data?: unknown; errors?: unknown[] } | undefined): string | undefined {
  if (!body || typeof body !== 'object') return 'response is not JSON';
  const hasErrors = Array.isArray(body.errors) && body.errors.length > 0;
  if ('data' in test.expected && !isDeepStrictEqual(body.data ?? null, test.expected.data ?? null)) {
    return `data differs: got ${JSON.stringify(body.data)?.slice(0, 300)}`;
  }
  if (Boolean(test.expected.errors) !== hasErrors) {
    return hasErrors ? `unexpected errors: ${JSON.stringify(body.errors).slice(0, 300)}` : 'errors expected, none returned';
  }
  return undefined;
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/**
 * Appends exchanges recorded in record mode to each suite's `recordings.json` under `dir`.
 * @returns how many were written.
 */
export function saveRecordings(recorded: ReplayServer['recorded'], dir = FED_AUDIT_DIR): number {
  const bySuite = new Map<string, AuditRecording[]>();
  for (const { suite, recording } of recorded) bySuite.set(suite, [...(bySuite.get(suite) ?? []), recording]);
  for (const [suite, list] of bySuite) {
    const file = join(dir, suite, 'recordings.json');
    const existing = JSON.parse(readFileSync(file, 'utf8')) as AuditRecording[];
    writeFileSync(file, `${JSON.stringify([...existing, ...list], null, 1)}\n`);
  }
  return recorded.length;
}

const PREFIXED = /^_(\d+)_(.+)$/s;

/**
 * The parts of a merged subgraph operation (Roam's fetch merging, gateway/src/upstream/mergeOperations.ts:
 * every root field aliased `_<i>_<response key>`, variables `$_<i>_<name>`, fragments `_<i>_<name>`), each
 * rebuilt as the operation it was before merging, with its own variables; `undefined` for any other request.
 * The replay server answers each part from the recordings and composes the reply as a GraphQL server executes
 * such an operation: a query's root fields are resolved independently (GraphQL spec §6.3.1), each under its alias.
 */
export function splitMergedRequest(body: { query?: string; variables?: Record<string, unknown> }): { query: string; variables: Record<string, unknown> }[] | undefined {
  let document: DocumentNode;
  try {
    document = parse(body.query ?? '');
  } catch {
    return undefined;
  }
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.operation !== 'query') return undefined;
  const fields = operation.selectionSet.selections;
  if (fields.length < 2 || !fields.every((f) => f.kind === Kind.FIELD && f.alias && PREFIXED.test(f.alias.value))) return undefined;
  const partOf = (name: string): [number, string] => {
    const m = PREFIXED.exec(name);
    if (!m) throw new Error(`not a merged name: ${name}`);
    return [Number(m[1]), m[2]!];
  };
  const count = Math.max(...fields.map((f) => partOf((f as FieldNode).alias!.value)[0])) + 1;
  const parts: { query: string; variables: Record<string, unknown> }[] = [];
  for (let i = 0; i < count; i++) {
    const mine = (name: string): boolean => partOf(name)[0] === i;
    const strip = (name: string): string => partOf(name)[1];
    const unprefix = <T extends OperationDefinitionNode | FragmentDefinitionNode>(node: T): T =>
      visit(node, {
        Variable: (v) => ({ ...v, name: { ...v.name, value: strip(v.name.value) } }),
        FragmentSpread: (f) => ({ ...f, name: { ...f.name, value: strip(f.name.value) } }),
        FragmentDefinition: (f) => ({ ...f, name: { ...f.name, value: strip(f.name.value) } }),
      });
    const selections = fields
      .map((f) => f as FieldNode)
      .filter((f) => mine(f.alias!.value))
      .map((f) => {
        const key = strip(f.alias!.value);
        return { ...f, alias: key === f.name.value ? undefined : { kind: Kind.NAME, value: key } } as FieldNode;
      });
    const part: OperationDefinitionNode = unprefix({
      ...operation,
      name: undefined,
      variableDefinitions: (operation.variableDefinitions ?? []).filter((v) => mine(v.variable.name.value)),
      selectionSet: { ...operation.selectionSet, selections },
    });
    const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && mine(d.name.value)).map(unprefix);
    const variables: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(body.variables ?? {})) if (mine(name)) variables[strip(name)] = value;
    parts.push({ query: print({ kind: Kind.DOCUMENT, definitions: [part, ...fragments] }), variables });
  }
  return parts;
}

/** The reply to a merged operation from its parts' replies (see {@link splitMergedRequest}): `data` null when a part's is. */
function composeMergedReply(answers: readonly string[]): string {
  let data: Record<string, unknown> | null = {};
  const errors: unknown[] = [];
  answers.forEach((text, i) => {
    const reply = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: { path?: (string | number)[] }[] };
    if (reply.data === null || reply.data === undefined) data = null;
    else if (data !== null) for (const [key, value] of Object.entries(reply.data)) data[`_${i}_${key}`] = value;
    for (const e of reply.errors ?? []) errors.push(Array.isArray(e.path) && typeof e.path[0] === 'string' ? { ...e, path: [`_${i}_${e.path[0]}`, ...e.path.slice(1)] } : e);
  });
  return JSON.stringify({ data, ...(errors.length > 0 ? { errors } : {}) });
}
