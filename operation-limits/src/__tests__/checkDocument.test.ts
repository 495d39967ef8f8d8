import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse } from 'graphql';
import { checkDocument } from '../checkDocument';
import { OperationLimiter, schemaFromSupergraph } from '../OperationLimiter';
import type { OperationLimits } from '../OperationLimits';

const SDL = `
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query { feed(first: Int!): [Post!]! @listSize(slicingArguments: ["first"], assumedSize: 20) }
  type Post { id: ID! title: String comments(first: Int!): [Comment!]! @listSize(slicingArguments: ["first"]) }
  type Comment { id: ID! }
`;
const schema = schemaFromSupergraph(SDL);
const LIMITS: OperationLimits = { maxCost: 50, maxDepth: 3, maxAliases: 1, maxRootFields: 2, maxTokens: 200, maxDocumentBytes: 2000, maxBatchSize: 5, maxBodyBytes: 4096, mode: 'enforce' };

describe('checkDocument (what roam-pq verify/push run)', () => {
  it('lists each operation with its cost and every exceeded limit', () => {
    const check = checkDocument(
      schema,
      'query Ok { feed(first: 5) { id } } query Big { feed(first: 5) { id comments(first: 10) { id } } } query Deep { a: feed(first: 1) { b: comments(first: 1) { id } } }',
      LIMITS,
    );
    expect(check.errors).toEqual([]);
    expect(check.ok).toBe(false);
    expect(check.operations.map((o) => [o.name, o.cost, o.problems.map((p) => p.code)])).toEqual([
      ['Ok', 5, []],
      ['Big', 55, ['COST_ESTIMATED_TOO_EXPENSIVE']],
      ['Deep', 2, ['MAX_ALIASES_LIMIT']],
    ]);
    expect(check.operations[1]!.problems[0]).toMatchObject({ measured: 55, limit: 50 });
  });

  it('estimates with stand-ins for missing required variables (the list falls back to assumedSize)', () => {
    const check = checkDocument(schema, 'query Feed($n: Int!, $c: Boolean!) { feed(first: $n) { id comments(first: 2) @include(if: $c) { id } } }', { ...LIMITS, maxCost: 1000 });
    expect(check.operations[0]).toMatchObject({ name: 'Feed', cost: 20 * (1 + 2), problems: [] });
    const given = checkDocument(schema, 'query Feed($n: Int!, $c: Boolean!) { feed(first: $n) { id comments(first: 2) @include(if: $c) { id } } }', LIMITS, {
      variables: { Feed: { n: 3, c: false } },
    });
    expect(given.operations[0]!.cost).toBe(3);
  });

  it('reports validation errors, including a fragment cycle, without analysing', () => {
    const cycle = checkDocument(schema, '{ feed(first: 1) { ...A } } fragment A on Post { id ...B } fragment B on Post { title ...A }', LIMITS);
    expect(cycle.errors).toContain('Cannot spread fragment "A" within itself via "B".');
    expect(cycle.operations).toEqual([]);
    expect(checkDocument(schema, '{ feed(first: x) { id } }', LIMITS).errors.length).toBeGreaterThan(0);
    expect(checkDocument(schema, '{ feed(first: 1) {', LIMITS).errors[0]).toMatch(/Syntax Error/);
  });

  it('reports a document over the token or byte limit', () => {
    const long = `{ feed(first: 1) { ${'id '.repeat(300)} } }`;
    expect(checkDocument(schema, long, LIMITS).problems.map((p) => p.code)).toEqual(['MAX_TOKENS_LIMIT']);
    expect(checkDocument(schema, long, { ...LIMITS, maxTokens: 10_000, maxDocumentBytes: 100 }).problems.map((p) => p.code)).toEqual(['MAX_DOCUMENT_BYTES_LIMIT']);
  });
});

describe('OperationLimiter', () => {
  const settings = { defaults: LIMITS, byClient: { ios: { maxCost: 100 }, canary: { mode: 'measure' as const } }, defaultListSize: 10 };

  function check(limiter: OperationLimiter, query: string, variables: Record<string, unknown> | undefined, clientName?: string) {
    const document = parse(query);
    const operation = document.definitions[0] as import('graphql').OperationDefinitionNode;
    return limiter.checkOperation({ document, operation, variables, documentKey: query, clientName });
  }

  it('applies per-client overrides and modes', () => {
    const limiter = new OperationLimiter({ settings });
    limiter.setSupergraph(SDL);
    const big = '{ feed(first: 5) { id comments(first: 10) { id } } }';
    expect(check(limiter, big, undefined).violations.map((v) => v.code)).toEqual(['COST_ESTIMATED_TOO_EXPENSIVE']);
    expect(check(limiter, big, undefined, 'ios').violations).toEqual([]);
    expect(check(limiter, big, undefined, 'canary').limits.mode).toBe('measure');
    expect(limiter.stats).toMatchObject({ rejected: 1, measuredOverLimit: 1 });
  });

  it('caches the cost of a document that does not depend on variables, until the next supergraph', () => {
    const limiter = new OperationLimiter({ settings });
    limiter.setSupergraph(SDL);
    const fixed = '{ feed(first: 5) { id } }';
    expect(check(limiter, fixed, undefined).cached).toBe(false);
    expect(check(limiter, fixed, undefined).cached).toBe(true);
    const variable = 'query Q($n: Int!) { feed(first: $n) { id } }';
    expect(check(limiter, variable, { n: 2 }).estimate.cost).toBe(2);
    const again = check(limiter, variable, { n: 7 });
    expect([again.cached, again.estimate.cost]).toEqual([false, 7]);
    limiter.setSupergraph(SDL.replace('assumedSize: 20', 'assumedSize: 30'));
    expect(check(limiter, fixed, undefined).cached).toBe(false);
  });

  it('stops a fragment bomb quickly instead of expanding it', () => {
    const limiter = new OperationLimiter({ settings });
    limiter.setSupergraph(SDL);
    const levels = 40; // 2^40 expansions if walked naively
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ${i === levels - 1 ? 'feed(first: 1) { id }' : `...F${i + 1} ...F${i + 1}`} }`).join(' ');
    const query = `{ ...F0 } ${fragments}`;
    expect(() => check(limiter, query, undefined)).toThrow(expect.objectContaining({ reason: 'TOO_MANY_NODES' }));
    const shape = checkDocument(schema, query, { ...LIMITS, maxTokens: 100_000 });
    expect(shape.operations[0]).toMatchObject({
      rootFields: 2 ** (levels - 1),
      cost: null,
      problems: [expect.objectContaining({ code: 'COST_NOT_ESTIMATED' }), expect.objectContaining({ code: 'MAX_ROOT_FIELDS_LIMIT' })],
    });
  });

  it('reads the repository supergraph.graphql', () => {
    const limiter = new OperationLimiter({ settings });
    limiter.setSupergraph(readFileSync(join(__dirname, '..', '..', '..', 'supergraph.graphql'), 'utf8'));
    expect(check(limiter, '{ topProducts(first: 3) { upc shippingEstimate } }', undefined).estimate.cost).toBe(3 * (1 + 2));
  });
});

describe('checkDocument: stand-ins for required input-object variables', () => {
  const schema = buildSchema(`
    type Query { review(id: ID!): Review }
    type Mutation { addReview(input: AddReviewInput!): Review @cost(weight: 10) }
    input AddReviewInput { authorId: ID! productUpc: String! body: String! @cost(weight: 1) stars: Int = 5 tags: [String!] nested: Inner! }
    input Inner { kind: Kind! }
    enum Kind { A B }
    type Review { id: ID! body: String }
    directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  `);
  const limits = { maxCost: 1000, maxDepth: 15, maxAliases: 30, maxRootFields: 20, maxTokens: 5000, maxDocumentBytes: 65536, maxBatchSize: 20, maxBodyBytes: 1048576, mode: 'enforce' as const };

  it('estimates the cost of a mutation whose input object variable is not given', () => {
    const result = checkDocument(schema, 'mutation AddReview($input: AddReviewInput!) { addReview(input: $input) { id body } }', limits);
    expect(result.ok).toBe(true);
    // demand control: mutation 10 + addReview @cost(weight: 10) (replaces the object cost of 1) + 1 for the
    // input field `body @cost(weight: 1)` present in the stand-in; scalars 0
    expect(result.operations[0]!.cost).toBe(21);
    expect(result.operations[0]!.problems).toEqual([]);
  });
});
