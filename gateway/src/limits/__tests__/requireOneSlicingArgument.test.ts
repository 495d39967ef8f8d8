import { getOperationAST, parse } from 'graphql';
import { OperationLimiter, readLimitsSettings } from '@roam/operation-limits';
import { composeSupergraph } from '../../compose/composeSupergraph';
import { checkOperationLimits } from '../checkOperationLimits';

// A subgraph whose list field keeps @listSize's default requireOneSlicingArgument: true.
const SDL = composeSupergraph([
  {
    name: 'feed',
    url: 'http://127.0.0.1:1/graphql',
    sdl: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@listSize"])
      type Query { posts(first: Int, last: Int): [Post!]! @listSize(slicingArguments: ["first", "last"]) }
      type Post @key(fields: "id") { id: ID! }`,
  },
]);
const silent = { debug: () => undefined, info: () => undefined };

function check(query: string, mode: 'enforce' | 'measure') {
  const limiter = new OperationLimiter({ settings: readLimitsSettings({ LIMITS_MODE: mode }) });
  limiter.setSupergraph(SDL);
  const document = parse(query);
  return checkOperationLimits(limiter, silent, { document, operation: getOperationAST(document)!, variables: undefined, documentKey: undefined, clientName: undefined });
}

describe('requireOneSlicingArgument through composition and the gateway check', () => {
  it('enforce: a list field without exactly one slicing argument is GRAPHQL_VALIDATION_FAILED naming it', () => {
    const { error } = check('{ posts { id } }', 'enforce');
    expect(error?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(error?.message).toBe('Field "posts" must be given exactly one of its slicing arguments (first, last); got 0.');
    expect(check('{ posts(first: 1, last: 1) { id } }', 'enforce').error?.message).toMatch(/got 2\.$/);
  });

  it('one slicing argument passes and is costed by it; measure mode only logs', () => {
    const ok = check('{ posts(last: 7) { id } }', 'enforce');
    expect(ok.error).toBeUndefined();
    expect(ok.check?.estimate.cost).toBe(7);
    expect(check('{ posts { id } }', 'measure').error).toBeUndefined();
  });
});
