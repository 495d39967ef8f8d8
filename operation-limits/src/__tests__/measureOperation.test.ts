import { buildSchema, parse } from 'graphql';
import { countTokens } from '../countTokens';
import { measureOperations } from '../measureOperation';

const schema = buildSchema(`
  type Query { post(id: ID!): Post posts: [Post!]! me: User }
  type Post { id: ID! title: String author: User }
  type User { id: ID! name: String posts: [Post!]! }
`);

function shapeOf(query: string) {
  const doc = parse(query);
  return [...measureOperations(schema, doc).values()];
}

describe('measureOperations (graphql-armor depth and aliases, own root-field count)', () => {
  it('counts depth by fields, fragments adding no level', () => {
    expect(shapeOf('{ me { id } }')[0]!.depth).toBe(2);
    expect(shapeOf('{ me { posts { author { posts { id } } } } }')[0]!.depth).toBe(5);
    expect(shapeOf('{ me { ...U } } fragment U on User { posts { ... on Post { author { id } } } }')[0]!.depth).toBe(4);
  });

  it("counts aliases through fragments, __typename aliases included (issue 18: graphql-armor's allowList emptied)", () => {
    expect(shapeOf('{ a: me { id } b: me { n: name t: __typename } }')[0]!.aliases).toBe(4);
    expect(shapeOf('{ me { ...U } } fragment U on User { x: id y: name }')[0]!.aliases).toBe(2);
  });

  it('counts root fields through fragments, not __typename', () => {
    expect(shapeOf('{ __typename a: me { id } b: me { id } posts { id } ...Q } fragment Q on Query { post(id: "1") { id } }')[0]!.rootFields).toBe(4);
  });

  it('measures each operation of a document separately', () => {
    const shapes = shapeOf('query A { me { id } } query B { a: posts { author { posts { id } } } }');
    expect(shapes).toEqual([
      { depth: 2, aliases: 0, rootFields: 1 },
      { depth: 4, aliases: 1, rootFields: 1 },
    ]);
  });
});

describe('countTokens (graphql-armor token parser)', () => {
  it('counts tokens and stops past the limit', () => {
    // { me { id } } = 6 tokens: { me { id } }
    expect(countTokens('{ me { id } }', 100)).toEqual({ kind: 'counted', tokens: 6 });
    expect(countTokens('# comment\n{ me { id } }', 100)).toEqual({ kind: 'counted', tokens: 6 });
    expect(countTokens('{ me { id } }', 6)).toEqual({ kind: 'counted', tokens: 6 });
    expect(countTokens('{ me { id } }', 5)).toEqual({ kind: 'exceeded', tokens: 6 });
    const huge = `{ ${'a '.repeat(1_000_000)}}`;
    expect(countTokens(huge, 1000)).toEqual({ kind: 'exceeded', tokens: 1001 });
  });

  it('reports a syntax error as such, not as a token count', () => {
    expect(countTokens('{ me { id }', 100)).toEqual({ kind: 'syntax-error' });
  });
});
