import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { GraphQLError } from 'graphql';
import { MemoryPersistedQueryStore, sha256Hex } from '@roam/persisted-queries';
import { OperationLimiter, readLimitsSettings } from '@roam/operation-limits';
import { composeSupergraph } from '../../compose/composeSupergraph';
import { RoamExecutor } from '../../executor/RoamExecutor';
import { limitsPlugin } from '../../limits/limitsPlugin';
import { persistedQueriesPlugin, type PersistedQueryMode } from '../../persistedQueries/persistedQueriesPlugin';
import { SupergraphSnapshot } from '../../supergraph/SupergraphSnapshot';
import { transportRulesPlugin } from '../../transportRules';
import { Upstreams } from '../../upstream/Upstreams';
import { OperationPipeline } from '../OperationPipeline';
import type { RequestInfo } from '../types';

// The graphql-ws front door is the HTTP pipeline itself (transport `ws`): these are the checks the former
// `createSubscriptionFrontDoor` unit test made, now on OperationPipeline.prepare. Nothing here executes.
const ROOT = join(__dirname, '..', '..', '..', '..');
const SDL = composeSupergraph(
  ['accounts', 'products', 'inventory', 'reviews'].map((name) => ({ name, url: `http://127.0.0.1:1/${name}`, sdl: readFileSync(join(ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8') })),
);

// Costs by the cost model (README "Operation limits"): Review 1 + User 1 + Product 1 + shippingEstimate @cost 2 = 5;
// the cheap one Review 1 + User 1 = 2; PAGE is Review 1 + User 1 + connection 1 + $n × (edge 1 + node 1) = 3 + 2n.
const ENRICHED = 'subscription { reviewAdded(upc: "1") { id body author { name } product { name inStock shippingEstimate } } }';
const CHEAP = 'subscription { reviewAdded(upc: "1") { id author { name } } }';
const PAGE = 'subscription Page($n: Int!) { reviewAdded(upc: "1") { author { reviewsConnection(first: $n) { edges { node { id } } } } } }';
const logger = pino({ level: 'silent' });
const upstreams = new Upstreams({ timeoutMs: 1000, keepAliveMs: 0, logger });
afterAll(() => upstreams.close());

function frontDoor(mode: PersistedQueryMode, limitsEnv: Record<string, string> = {}) {
  const store = new MemoryPersistedQueryStore();
  const limiter = new OperationLimiter({ settings: readLimitsSettings({ MAX_COST: '4', MAX_TOKENS: '60', ...limitsEnv }) });
  const snapshot = new SupergraphSnapshot(SDL, 1);
  limiter.useSchema(snapshot.costSchema);
  const plugins = [transportRulesPlugin(), persistedQueriesPlugin({ mode, store, apqTtlSeconds: 0, logger }), limitsPlugin(limiter, logger)];
  const pipeline = new OperationPipeline({ snapshot: () => snapshot, plugins, executor: new RoamExecutor({ upstreams, logger }), logger });
  return { store, limiter, pipeline };
}

/** A `subscribe` payload's request: transport ws, identity from connection_init. */
const ws = (clientName?: string): RequestInfo => ({
  transport: 'ws',
  method: 'POST',
  headers: new Map(clientName ? [['apollographql-client-name', clientName]] : []),
  clientName,
  clientVersion: undefined,
  inBatch: false,
});
const apq = (text: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(text) } });
/** The text that would run, or the refusal's codes. */
const outcome = async (pipeline: OperationPipeline, payload: Record<string, unknown>, clientName?: string): Promise<string | unknown[]> => {
  const prepared = await pipeline.prepare(payload, ws(clientName));
  return 'refused' in prepared ? prepared.refused.map((e) => e.extensions.code) : prepared.ctx.entry.query!;
};
const refusal = async (pipeline: OperationPipeline, payload: Record<string, unknown>, clientName?: string): Promise<readonly GraphQLError[]> => {
  const prepared = await pipeline.prepare(payload, ws(clientName));
  return 'refused' in prepared ? prepared.refused : [];
};

describe("the WebSocket front door: the HTTP pipeline's persisted-query and limits rules on subscribe payloads", () => {
  it('apq: hash-only miss, hash + text registers after validation, then hash-only hits; a wrong hash is a mismatch', async () => {
    const { pipeline, store } = frontDoor('apq');
    const miss = await refusal(pipeline, { extensions: apq(CHEAP) });
    expect(miss.map((e) => [e.message, e.extensions])).toEqual([['PersistedQueryNotFound', { code: 'PERSISTED_QUERY_NOT_FOUND' }]]);
    expect(await outcome(pipeline, { query: CHEAP, extensions: apq(CHEAP) })).toEqual(CHEAP);
    expect((await store.lookup(sha256Hex(CHEAP))).automaticBody).toBe(CHEAP);
    expect(await outcome(pipeline, { extensions: apq(CHEAP) })).toEqual(CHEAP);
    expect(await outcome(pipeline, { query: ENRICHED, extensions: apq(CHEAP) })).toEqual(['PERSISTED_QUERY_HASH_MISMATCH']);
    // a document that does not validate is refused by validation and never stored
    const invalid = 'subscription { nope }';
    expect(await outcome(pipeline, { query: invalid, extensions: apq(invalid) })).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect((await store.lookup(sha256Hex(invalid))).automaticBody).toBeUndefined();
  });

  it('safelist: pushed ids run (extensions or documentId), scoped by the connection_init client name; others are refused', async () => {
    const { pipeline, store } = frontDoor('safelist', { MAX_COST: '100' }); // resolution only: no cost refusal here
    await store.push([{ id: sha256Hex(CHEAP), body: CHEAP }]);
    await store.push([{ id: sha256Hex(ENRICHED), body: ENRICHED }], { clientName: 'ios' });
    expect(await outcome(pipeline, { extensions: apq(CHEAP) })).toEqual(CHEAP);
    expect(await outcome(pipeline, { documentId: `sha256:${sha256Hex(CHEAP)}` })).toEqual(CHEAP);
    expect(await outcome(pipeline, { documentId: sha256Hex(ENRICHED) }, 'ios')).toEqual(ENRICHED);
    expect(await outcome(pipeline, { documentId: sha256Hex(ENRICHED) }, 'android')).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(await outcome(pipeline, { documentId: sha256Hex(ENRICHED) })).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(await outcome(pipeline, { query: 'subscription { reviewAdded { id } }' })).toEqual(['QUERY_NOT_IN_SAFELIST']);
    expect(await outcome(pipeline, { extensions: { persistedQuery: { version: 2, sha256Hash: 'x' } } })).toEqual(['BAD_REQUEST']);
    expect(await outcome(pipeline, { documentId: 7 })).toEqual(['BAD_REQUEST']);
  });

  it('off: an id is PERSISTED_QUERY_NOT_SUPPORTED, text runs, nothing at all is BAD_REQUEST', async () => {
    const { pipeline } = frontDoor('off');
    expect(await outcome(pipeline, { extensions: apq(CHEAP) })).toEqual(['PERSISTED_QUERY_NOT_SUPPORTED']);
    expect(await outcome(pipeline, { query: CHEAP })).toEqual(CHEAP);
    expect(await outcome(pipeline, { query: '' })).toEqual(['BAD_REQUEST']);
  });

  it('checks the document text (tokens) like the HTTP path, with the same extensions', async () => {
    const { pipeline } = frontDoor('apq');
    const long = `subscription { reviewAdded { ${'id '.repeat(60)}} }`;
    expect((await refusal(pipeline, { query: long }))[0]!.extensions).toEqual({ code: 'MAX_TOKENS_LIMIT', measured: 61, limit: 60 });
  });

  it("checks a subscription's cost with its own variables, per client; measure and off let it through", async () => {
    const { pipeline, limiter } = frontDoor('apq', { LIMITS_BY_CLIENT: JSON.stringify({ ios: { maxCost: 100 }, canary: { mode: 'measure' }, bench: { mode: 'off' } }) });
    const check = (query: string, variables: Record<string, unknown>, clientName?: string) => refusal(pipeline, { query, variables }, clientName);
    expect((await check(ENRICHED, {})).map((e) => e.extensions)).toEqual([{ code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 5, limit: 4, 'cost.estimated': 5, 'cost.max': 4 }]);
    expect(await check(CHEAP, {})).toEqual([]);
    expect(await check(PAGE, { n: 0 })).toEqual([]);
    expect((await check(PAGE, { n: 1 }))[0]!.extensions).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 5 });
    expect(await check(ENRICHED, {}, 'ios')).toEqual([]);
    const before = { ...limiter.stats };
    expect(await check(ENRICHED, {}, 'canary')).toEqual([]);
    expect(limiter.stats.measuredOverLimit).toBe(before.measuredOverLimit + 1);
    expect(await check(ENRICHED, {}, 'bench')).toEqual([]);
    expect(limiter.stats.checked).toBe(before.checked + 1); // off: not even measured
    // queries over the socket pass the same limits (one front door for every operation): 50 × Product 1 > 4
    expect((await check('{ topProducts(first: 50) { upc } }', {}))[0]!.extensions).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 50 });
  });
});
