import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeaderMap } from '@apollo/server';
import { getOperationAST, parse } from 'graphql';
import { OperationLimiter, readLimitsSettings, type LimitsSettings } from '@roam/operation-limits';
import { composeSupergraph } from '../../compose/composeSupergraph';
import { isOutcome } from '../../pipeline/outcome';
import type { RequestInfo } from '../../pipeline/types';
import { checkOperationLimits } from '../checkOperationLimits';
import { createLimitsStep } from '../createLimitsStep';

const ROOT = join(__dirname, '..', '..', '..', '..');
const SDL = composeSupergraph(['accounts', 'products', 'inventory', 'reviews'].map((name) => ({ name, url: `http://127.0.0.1:1/${name}`, sdl: readFileSync(join(ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8') })));
const silent = { debug: () => undefined, info: () => undefined };
const info = (clientName?: string): RequestInfo => ({ method: 'POST', headers: new HeaderMap(), search: '', clientName, clientVersion: undefined, inBatch: false });

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
    expect(createLimitsStep(limiter, silent)(entry, info())).toBe(entry);
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
    const step = createLimitsStep(limiterWith(readLimitsSettings({ ...TINY, LIMITS_BY_CLIENT: '{"bench":{"mode":"off"}}' })), silent);
    expect(step({ query: QUERY }, info('bench'))).toEqual({ query: QUERY });
    const outcome = step({ query: QUERY }, info());
    expect(isOutcome(outcome) && JSON.parse(outcome.body).errors[0].extensions).toEqual({ code: 'MAX_DOCUMENT_BYTES_LIMIT', measured: 34, limit: 10 });
  });
});
