import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { getOperationAST, parse } from 'graphql';
import { OperationLimiter, readLimitsSettings, type LimitsSettings } from '@roam/operation-limits';
import { composeSupergraph } from '../../compose/composeSupergraph';
import type { OperationContext, RequestInfo } from '../../pipeline/types';
import { checkOperationLimits } from '../checkOperationLimits';
import { limitsPlugin } from '../limitsPlugin';

const ROOT = join(__dirname, '..', '..', '..', '..');
const SDL = composeSupergraph(
  ['accounts', 'products', 'inventory', 'reviews'].map((name) => ({ name, url: `http://127.0.0.1:1/${name}`, sdl: readFileSync(join(ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8') })),
);
const silent = { debug: () => undefined, info: () => undefined };
const info = (clientName?: string): RequestInfo => ({ transport: 'http', method: 'POST', headers: new Map(), clientName, clientVersion: undefined, inBatch: false });
// The limits plugin's document stage (bytes, tokens) on one entry: undefined lets it through, else the refusal.
const documentStage = (limiter: OperationLimiter) => (entry: { query: string }, request: RequestInfo) =>
  limitsPlugin(limiter, pino({ level: 'silent' })).checkDocument!({ entry, request } as unknown as OperationContext);

// { topProducts(first: 50) { upc } } costs 50 × Product 1 = 50, depth 2, 7 tokens (README "Operation limits").
const QUERY = '{ topProducts(first: 50) { upc } }';
const TINY = { MAX_COST: '1', MAX_DEPTH: '1', MAX_TOKENS: '3', MAX_DOCUMENT_BYTES: '10' };

function limiterWith(settings: LimitsSettings): OperationLimiter {
  const limiter = new OperationLimiter({ settings });
  limiter.setSupergraph(SDL);
  return limiter;
}

describe('LIMITS_MODE=off', () => {
  it('is read from LIMITS_MODE and per client from LIMITS_BY_CLIENT; other values are refused', () => {
    expect(readLimitsSettings({ LIMITS_MODE: 'off' }).defaults.mode).toBe('off');
    expect(readLimitsSettings({ LIMITS_BY_CLIENT: '{"bench":{"mode":"off"}}' }).byClient).toEqual({ bench: { mode: 'off' } });
    expect(() => readLimitsSettings({ LIMITS_MODE: 'none' })).toThrow(/LIMITS_MODE="none"/);
  });

  it('the document step and the operation check do nothing: no rejection, no measurement, no counter', () => {
    const limiter = limiterWith(readLimitsSettings({ ...TINY, LIMITS_MODE: 'off' }));
    const entry = { query: QUERY };
    expect(documentStage(limiter)(entry, info())).toBeUndefined();
    const document = parse(QUERY);
    const result = checkOperationLimits(limiter, silent, { document, operation: getOperationAST(document)!, variables: undefined, documentKey: undefined, clientName: undefined });
    expect(result).toEqual({ check: undefined, error: undefined });
    expect(limiter.stats).toEqual({ checked: 0, rejected: 0, measuredOverLimit: 0, costCacheHits: 0 });
  });

  it('per client: off for one client while the defaults enforce', () => {
    const limiter = limiterWith(readLimitsSettings({ ...TINY, MAX_DOCUMENT_BYTES: '1000', MAX_TOKENS: '100', LIMITS_BY_CLIENT: '{"bench":{"mode":"off"}}' }));
    const document = parse(QUERY);
    const input = { document, operation: getOperationAST(document)!, variables: undefined, documentKey: undefined };
    expect(checkOperationLimits(limiter, silent, { ...input, clientName: 'bench' }).error).toBeUndefined();
    const enforced = checkOperationLimits(limiter, silent, { ...input, clientName: undefined });
    expect(enforced.error?.extensions).toEqual({ code: 'MAX_DEPTH_LIMIT', measured: 2, limit: 1 });
    expect(enforced.check?.estimate.cost).toBe(50);
    const step = documentStage(limiterWith(readLimitsSettings({ ...TINY, LIMITS_BY_CLIENT: '{"bench":{"mode":"off"}}' })));
    expect(step({ query: QUERY }, info('bench'))).toBeUndefined();
    const refusal = step({ query: QUERY }, info());
    expect(refusal?.extensions).toEqual({ code: 'MAX_DOCUMENT_BYTES_LIMIT', measured: 34, limit: 10 });
  });
});
