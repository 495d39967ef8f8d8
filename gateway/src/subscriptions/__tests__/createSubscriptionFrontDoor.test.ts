import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { parse, type GraphQLError } from 'graphql';
import { MemoryPersistedQueryStore, sha256Hex } from '@roam/persisted-queries';
import { OperationLimiter, readLimitsSettings, schemaFromSupergraph } from '@roam/operation-limits';
import { composeSupergraph } from '../../compose/composeSupergraph';
import { createLimitsStep } from '../../limits/createLimitsStep';
import { createPersistedQueryStep, type PersistedQueryMode } from '../../persistedQueries/createPersistedQueryStep';
import { connectionInfo } from '../connectionInfo';
import { createSubscriptionFrontDoor } from '../createSubscriptionFrontDoor';
import type { SubscribeRequest } from '../types';

const ROOT = join(__dirname, '..', '..', '..', '..');
const SDL = composeSupergraph(['accounts', 'products', 'inventory', 'reviews'].map((name) => ({ name, url: `http://127.0.0.1:1/${name}`, sdl: readFileSync(join(ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8') })));
const SCHEMA = schemaFromSupergraph(SDL);

// Costs by the cost model (README "Operation limits"): Review 1 + User 1 + Product 1 + shippingEstimate @cost 2 = 5;
// the cheap one Review 1 + User 1 = 2; PAGE is Review 1 + User 1 + connection 1 + $n × (edge 1 + node 1) = 3 + 2n.
const ENRICHED = 'subscription { reviewAdded(upc: "1") { id body author { name } product { name inStock shippingEstimate } } }';
const CHEAP = 'subscription { reviewAdded(upc: "1") { id author { name } } }';
const PAGE = 'subscription Page($n: Int!) { reviewAdded(upc: "1") { author { reviewsConnection(first: $n) { edges { node { id } } } } } }';
const logger = pino({ level: 'silent' });

function frontDoor(mode: PersistedQueryMode, limitsEnv: Record<string, string> = {}) {
  const store = new MemoryPersistedQueryStore();
  const limiter = new OperationLimiter({ settings: readLimitsSettings({ MAX_COST: '4', MAX_TOKENS: '60', ...limitsEnv }) });
  limiter.setSupergraph(SDL);
  const steps = [createPersistedQueryStep({ mode, store, schema: () => SCHEMA, apqTtlSeconds: 0, logger }), createLimitsStep(limiter, logger)];
  return { store, limiter, door: createSubscriptionFrontDoor({ steps, limiter, logger }) };
}

const connection = (params: Record<string, unknown> = {}) => connectionInfo(params, { headers: {} } as unknown as IncomingMessage)!;
const payload = (p: Partial<SubscribeRequest> & Record<string, unknown>): SubscribeRequest => ({ query: '', ...p });
const apq = (text: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(text) } });
const codes = (r: { query: string } | { errors: readonly GraphQLError[] }) => ('errors' in r ? r.errors.map((e) => e.extensions.code) : r.query);

describe('createSubscriptionFrontDoor: the HTTP path\'s persisted-query and limits rules on subscribe payloads', () => {
  it('apq: hash-only miss, hash + text registers after validation, then hash-only hits; a wrong hash is a mismatch', async () => {
    const { door, store } = frontDoor('apq');
    const miss = await door.resolveOperation(payload({ extensions: apq(CHEAP) }), connection());
    expect('errors' in miss && miss.errors.map((e) => [e.message, e.extensions])).toEqual([['PersistedQueryNotFound', { code: 'PERSISTED_QUERY_NOT_FOUND' }]]);
    expect(await door.resolveOperation(payload({ query: CHEAP, extensions: apq(CHEAP) }), connection())).toEqual({ query: CHEAP });
    expect((await store.lookup(sha256Hex(CHEAP))).automaticBody).toBe(CHEAP);
    expect(await door.resolveOperation(payload({ extensions: apq(CHEAP) }), connection())).toEqual({ query: CHEAP });
    expect(codes(await door.resolveOperation(payload({ query: ENRICHED, extensions: apq(CHEAP) }), connection()))).toEqual(['PERSISTED_QUERY_HASH_MISMATCH']);
    // a document that does not validate runs (and fails validation later) but is never stored
    const invalid = 'subscription { nope }';
    expect(await door.resolveOperation(payload({ query: invalid, extensions: apq(invalid) }), connection())).toEqual({ query: invalid });
    expect((await store.lookup(sha256Hex(invalid))).automaticBody).toBeUndefined();
  });

  it('safelist: pushed ids run (extensions or documentId), scoped by the connection_init client name; others are refused', async () => {
    const { door, store } = frontDoor('safelist');
    await store.push([{ id: sha256Hex(CHEAP), body: CHEAP }]);
    await store.push([{ id: sha256Hex(ENRICHED), body: ENRICHED }], { clientName: 'ios' });
    expect(await door.resolveOperation(payload({ extensions: apq(CHEAP) }), connection())).toEqual({ query: CHEAP });
    expect(await door.resolveOperation(payload({ documentId: `sha256:${sha256Hex(CHEAP)}` }), connection())).toEqual({ query: CHEAP });
    expect(await door.resolveOperation(payload({ documentId: sha256Hex(ENRICHED) }), connection({ 'apollographql-client-name': 'ios' }))).toEqual({ query: ENRICHED });
    expect(codes(await door.resolveOperation(payload({ documentId: sha256Hex(ENRICHED) }), connection({ 'apollographql-client-name': 'android' })))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(codes(await door.resolveOperation(payload({ documentId: sha256Hex(ENRICHED) }), connection()))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(codes(await door.resolveOperation(payload({ query: 'subscription { reviewAdded { id } }' }), connection()))).toEqual(['QUERY_NOT_IN_SAFELIST']);
    expect(codes(await door.resolveOperation(payload({ extensions: { persistedQuery: { version: 2, sha256Hash: 'x' } } }), connection()))).toEqual(['BAD_REQUEST']);
    expect(codes(await door.resolveOperation(payload({ documentId: 7 }), connection()))).toEqual(['BAD_REQUEST']);
  });

  it('off: an id is PERSISTED_QUERY_NOT_SUPPORTED, text runs, nothing at all is BAD_REQUEST', async () => {
    const { door } = frontDoor('off');
    expect(codes(await door.resolveOperation(payload({ extensions: apq(CHEAP) }), connection()))).toEqual(['PERSISTED_QUERY_NOT_SUPPORTED']);
    expect(await door.resolveOperation(payload({ query: CHEAP }), connection())).toEqual({ query: CHEAP });
    expect(codes(await door.resolveOperation(payload({ query: '  ' }), connection()))).toEqual(['BAD_REQUEST']);
  });

  it('checks the document text (tokens) like the HTTP step, with the same extensions', async () => {
    const { door } = frontDoor('apq');
    const long = `subscription { reviewAdded { ${'id '.repeat(60)}} }`;
    const refused = await door.resolveOperation(payload({ query: long }), connection());
    expect('errors' in refused && refused.errors[0]!.extensions).toEqual({ code: 'MAX_TOKENS_LIMIT', measured: 61, limit: 60 });
  });

  it('checks a subscription\'s cost with its own variables, per client; measure and off let it through', async () => {
    const { door, limiter } = frontDoor('apq', { LIMITS_BY_CLIENT: JSON.stringify({ ios: { maxCost: 100 }, canary: { mode: 'measure' }, bench: { mode: 'off' } }) });
    const check = (query: string, variables: Record<string, unknown>, params?: Record<string, unknown>) =>
      door.checkOperation({ document: parse(query), operationName: undefined, variables, requestVariables: variables, query }, connection(params));
    const refused = (await check(ENRICHED, {})) as GraphQLError[];
    expect(refused.map((e) => e.extensions)).toEqual([{ code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 5, limit: 4, 'cost.estimated': 5, 'cost.max': 4 }]);
    expect(await check(CHEAP, {})).toBeUndefined();
    expect(await check(PAGE, { n: 0 })).toBeUndefined();
    expect(((await check(PAGE, { n: 1 })) as GraphQLError[])[0]!.extensions).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 5 });
    expect(await check(ENRICHED, {}, { 'apollographql-client-name': 'ios' })).toBeUndefined();
    const before = { ...limiter.stats };
    expect(await check(ENRICHED, {}, { 'apollographql-client-name': 'canary' })).toBeUndefined();
    expect(limiter.stats.measuredOverLimit).toBe(before.measuredOverLimit + 1);
    expect(await check(ENRICHED, {}, { 'apollographql-client-name': 'bench' })).toBeUndefined();
    expect(limiter.stats.checked).toBe(before.checked + 1); // off: not even measured
    // queries and mutations are left to Apollo Server's limits plugin (they execute through it)
    expect(await check('{ topProducts(first: 50) { upc } }', {})).toBeUndefined();
  });
});
