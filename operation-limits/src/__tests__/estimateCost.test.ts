import { buildSchema, parse, validate } from 'graphql';
import { CostEstimationError, estimateCost, type EstimateCostOptions } from '../estimateCost';

// Hand-computed expectations use Apollo Router's demand-control defaults: object/interface/union 1,
// scalar/enum 0, a list multiplies (type cost + selections) by its size, a mutation adds 10.
const DIRECTIVES = `
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
`;

const schema = buildSchema(`${DIRECTIVES}
  type Query {
    feed(first: Int!): [Post!]! @listSize(slicingArguments: ["first"])
    recent: [Post!]! @listSize(assumedSize: 7)
    all: [Post!]!
    tags: [String!]!
    search(term: String! @cost(weight: 3)): [Post!]! @listSize(assumedSize: 2)
    posts(first: Int = 10, after: String): PostConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)
    media(first: Int): [Media!]! @listSize(slicingArguments: ["first"])
    expensive: Expensive
    filtered(filter: PostFilter): [Post!]! @listSize(assumedSize: 1)
  }
  type Mutation { like(postId: ID!): Post @cost(weight: 5) }
  type Post { id: ID! title: String comments(first: Int!): [Comment!]! @listSize(slicingArguments: ["first"]) }
  type Comment { id: ID! }
  type PostConnection { edges: [PostEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type PostEdge { cursor: String! node: Post! }
  type PageInfo { hasNextPage: Boolean! }
  interface Media { id: ID! }
  type Photo implements Media { id: ID! url: String }
  type Video implements Media { id: ID! url: String author: User transcode: Transcode @cost(weight: 20) }
  type User { id: ID! }
  type Transcode { id: ID! }
  type Expensive @cost(weight: 50) { id: ID! }
  input PostFilter { text: String @cost(weight: 4) tag: String }
`);

function cost(query: string, options: EstimateCostOptions = {}): number {
  const document = parse(query);
  expect(validate(schema, document)).toEqual([]);
  return estimateCost(schema, document, options).cost;
}

describe('estimateCost (Apollo Router demand-control rules over @cost/@listSize)', () => {
  const FEED = 'query Feed($withComments: Boolean = false) { feed(first: 5) { id comments(first: 10) @include(if: $withComments) { id } } }';

  it("costs the issue's Feed example 5 without comments and 55 with them", () => {
    expect(cost(FEED)).toBe(5); // 5 × Post(1)
    expect(cost(FEED, { variables: { withComments: false } })).toBe(5);
    expect(cost(FEED, { variables: { withComments: true } })).toBe(55); // 5 × (1 + 10 × 1)
    const limit = 50;
    expect(cost(FEED) <= limit).toBe(true);
    expect(cost(FEED, { variables: { withComments: true } }) > limit).toBe(true);
  });

  it('applies @skip and @include on fields, inline fragments and fragment spreads', () => {
    const q =
      'query Q($skip: Boolean!, $inc: Boolean = true) { feed(first: 5) { id comments(first: 10) @skip(if: $skip) { id } ... @include(if: $inc) { c2: comments(first: 2) { id } } ...C @skip(if: $skip) } } fragment C on Post { c3: comments(first: 1) { id } }';
    // per post: 1 + (skip ? 0 : 10) + (inc ? 2 : 0) + (skip ? 0 : 1)
    expect(cost(q, { variables: { skip: true } })).toBe(5 * (1 + 2));
    expect(cost(q, { variables: { skip: false } })).toBe(5 * (1 + 10 + 2 + 1));
    expect(cost(q, { variables: { skip: false, inc: false } })).toBe(5 * (1 + 10 + 1));
  });

  it('multiplies nested lists by slicing arguments given as variables, defaults included', () => {
    const q = 'query Q($a: Int!, $b: Int = 3) { feed(first: $a) { comments(first: $b) { id } } }';
    expect(cost(q, { variables: { a: 4 } })).toBe(4 * (1 + 3 * 1));
    expect(cost(q, { variables: { a: 4, b: 7 } })).toBe(4 * (1 + 7 * 1));
    expect(cost(q, { variables: { a: 0 } })).toBe(0);
    const estimate = estimateCost(schema, parse(q), { variables: { a: 2 } });
    expect(estimate.dependsOnVariables).toBe(true);
    expect(estimateCost(schema, parse('{ feed(first: 2) { id } }')).dependsOnVariables).toBe(false);
  });

  it('falls back to assumedSize, then to the default list size; scalar lists cost 0', () => {
    expect(cost('{ recent { id } }')).toBe(7);
    expect(cost('{ all { id } }')).toBe(10);
    expect(cost('{ all { id } }', { defaultListSize: 4 })).toBe(4);
    expect(cost('{ tags }')).toBe(0);
  });

  it('costs an abstract selection as its most expensive concrete type', () => {
    // Photo branch: url 0. Video branch: author 1 + transcode @cost 20 = 21.
    expect(cost('{ media(first: 3) { id ... on Photo { url } ... on Video { author { id } transcode { id } } } }')).toBe(3 * (1 + 21));
    expect(cost('{ media(first: 3) { id ... on Photo { url } } }')).toBe(3 * 1);
    expect(cost('{ media(first: 3) { ...V } } fragment V on Video { author { id } }')).toBe(3 * (1 + 1));
  });

  it('uses sizedFields: the connection counts once and edges take the slicing size', () => {
    // edge: PostEdge 1 + node (Post 1 + comments 2 × 1) = 4; connection: 1 + 3 × 4 + pageInfo 1
    expect(cost('{ posts(first: 3) { edges { node { id comments(first: 2) { id } } } pageInfo { hasNextPage } } }')).toBe(1 + 3 * 4 + 1);
    // the schema default first = 10
    expect(cost('{ posts { edges { node { id comments(first: 2) { id } } } pageInfo { hasNextPage } } }')).toBe(1 + 10 * 4 + 1);
    // through a fragment, and a second connection with another size sharing it
    expect(cost('{ a: posts(first: 3) { ...E } b: posts(first: 5) { ...E } } fragment E on PostConnection { edges { node { id } } }')).toBe(1 + 3 * 2 + (1 + 5 * 2));
  });

  it('adds @cost of fields, types, arguments and input fields, and 10 for a mutation', () => {
    expect(cost('mutation { like(postId: "1") { id } }')).toBe(10 + 5);
    expect(cost('{ expensive { id } }')).toBe(50);
    expect(cost('{ search(term: "x") { id } }')).toBe(2 * 1 + 3);
    expect(cost('{ filtered(filter: { text: "a", tag: "b" }) { id } }')).toBe(1 + 4);
    expect(cost('{ filtered(filter: { tag: "b" }) { id } }')).toBe(1);
  });

  it('gives a per-root-field breakdown that adds up to the cost', () => {
    const estimate = estimateCost(schema, parse('mutation { a: like(postId: "1") { id } b: like(postId: "2") { comments(first: 3) { id } } }'));
    expect(estimate.breakdown).toEqual({
      operationType: 'mutation',
      operationCost: 10,
      fields: [
        { path: 'a', cost: 5 },
        { path: 'b', cost: 5 + 3 },
      ],
    });
    expect(estimate.cost).toBe(10 + 5 + 8);
  });

  it('costs the named operation only', () => {
    const doc = 'query A { feed(first: 2) { id } } query B { feed(first: 9) { id } }';
    expect(cost(doc, { operationName: 'A' })).toBe(2);
    expect(cost(doc, { operationName: 'B' })).toBe(9);
  });

  it('throws CostEstimationError for variables that do not coerce and for an unknown operation', () => {
    const q = parse('query Q($a: Int!) { feed(first: $a) { id } }');
    expect(() => estimateCost(schema, q, { variables: {} })).toThrow(CostEstimationError);
    expect(() => estimateCost(schema, q, { variables: { a: 'x' } })).toThrow(/Int cannot represent/);
    expect(() => estimateCost(schema, q, { operationName: 'Nope' })).toThrow(/Unknown operation/);
  });

  it('stops a fragment bomb at maxEvaluatedNodes instead of walking it', () => {
    const fragments = Array.from({ length: 12 }, (_, i) => `fragment F${i} on Post { ${i === 11 ? 'id' : `...F${i + 1} ...F${i + 1}`} }`).join(' ');
    const doc = parse(`{ feed(first: 1) { ...F0 } } ${fragments}`);
    expect(validate(schema, doc)).toEqual([]);
    expect(() => estimateCost(schema, doc, { maxEvaluatedNodes: 1000 })).toThrow(expect.objectContaining({ reason: 'TOO_MANY_NODES' }));
  });
});

describe('estimateCost: requireOneSlicingArgument (IBM cost spec "@listSize"; true unless the directive says false)', () => {
  const sliced = buildSchema(`${DIRECTIVES}
    type Query {
      feed(first: Int, last: Int): [Post!]! @listSize(slicingArguments: ["first", "last"])
      loose(first: Int): [Post!]! @listSize(slicingArguments: ["first"], assumedSize: 4, requireOneSlicingArgument: false)
    }
    type Post { id: ID! }
  `);
  const run = (query: string, variables?: Record<string, unknown>) => estimateCost(sliced, parse(query), { variables }).cost;

  it('accepts exactly one slicing argument and multiplies by it', () => {
    expect(run('{ feed(first: 3) { id } }')).toBe(3);
    expect(run('query ($n: Int) { feed(last: $n) { id } }', { n: 6 })).toBe(6);
  });

  it('refuses none or two, naming the field and the arguments', () => {
    for (const query of ['{ feed { id } }', '{ feed(first: 2, last: 2) { id } }']) {
      let error: unknown;
      try {
        run(query);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CostEstimationError);
      expect((error as CostEstimationError).reason).toBe('SLICING_ARGUMENT_REQUIRED');
      expect((error as Error).message).toMatch(/Field "feed" must be given exactly one of its slicing arguments \(first, last\)/);
    }
    // a variable left null counts as not given
    expect(() => run('query ($n: Int) { feed(first: $n) { id } }', {})).toThrow(/got 0/);
  });

  it('with requireOneSlicingArgument: false, no argument falls back to assumedSize', () => {
    expect(run('{ loose { id } }')).toBe(4);
  });
});
