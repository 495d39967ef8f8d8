import { buildSchema, getOperationAST, parse } from 'graphql';
import { cacheControlHeader, combineCacheControl } from '../cacheControlHeader';
import { computeCachePolicy, type CacheHint } from '../computeCachePolicy';

const schema = buildSchema(`
  enum CacheControlScope { PUBLIC PRIVATE }
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  type Query {
    topProducts: [Product]
    me: User
    product(upc: String!): Product @cacheControl(maxAge: 30)
    version: String
    pinned: Pinned @cacheControl(maxAge: 90)
  }
  type Product @cacheControl(maxAge: 60) {
    upc: String!
    name: String
    reviews: [Review]
    inStock: Boolean @cacheControl(maxAge: 5)
  }
  type Review { id: ID! body: String }
  type User @cacheControl(maxAge: 20, scope: PRIVATE) { id: ID! name: String }
  type Pinned @cacheControl(inheritMaxAge: true) { product: Product }
  type Mutation { touch: Int }
`);

function policyOf(query: string, hints: Record<string, CacheHint> = {}) {
  const document = parse(query);
  return computeCachePolicy(schema, document, getOperationAST(document)!, hints);
}

describe('computeCachePolicy (Apollo Server cache-control rules, computed from the document)', () => {
  it('takes a composite type hint for the field returning it', () => {
    expect(policyOf('{ topProducts { upc name } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
  });
  it('lets a field hint win over its type hint and takes the smallest maxAge', () => {
    expect(policyOf('{ product(upc: "1") { name } }')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
    expect(policyOf('{ topProducts { name inStock } }')).toEqual({ maxAge: 5, scope: 'PUBLIC' });
  });
  it('gives a composite field without hints maxAge 0, and a root scalar field too', () => {
    expect(policyOf('{ topProducts { reviews { body } } }').maxAge).toBe(0);
    expect(policyOf('{ version }').maxAge).toBe(0);
  });
  it('makes the whole response PRIVATE when any part is', () => {
    expect(policyOf('{ topProducts { name } me { name } }')).toEqual({ maxAge: 20, scope: 'PRIVATE' });
  });
  it('follows fragments and inline fragments', () => {
    expect(policyOf('query { ...Q } fragment Q on Query { topProducts { ... on Product { inStock } } }').maxAge).toBe(5);
  });
  it('lets inheritMaxAge take the parent field maxAge', () => {
    expect(policyOf('{ pinned { product { upc } } }').maxAge).toBe(60);
  });
  it('lets configured hints win over @cacheControl', () => {
    expect(policyOf('{ topProducts { name } }', { Product: { maxAge: 600, scope: 'PUBLIC' } })).toEqual({ maxAge: 600, scope: 'PUBLIC' });
    expect(policyOf('{ topProducts { name } }', { 'Query.topProducts': { maxAge: 10 } }).maxAge).toBe(10);
    expect(policyOf('{ topProducts { reviews { id } } }', { Review: { maxAge: 120 } }).maxAge).toBe(60);
  });
  it('has no maxAge for an operation that selects only __typename', () => {
    expect(policyOf('{ __typename }').maxAge).toBeUndefined();
  });
});

describe('cacheControlHeader / combineCacheControl', () => {
  it('writes Apollo-style values and private, no-cache when not cacheable', () => {
    expect(cacheControlHeader({ maxAge: 60, scope: 'PUBLIC' })).toBe('max-age=60, public');
    expect(cacheControlHeader({ maxAge: 20, scope: 'PRIVATE' })).toBe('max-age=20, private');
    expect(cacheControlHeader({ maxAge: 0, scope: 'PUBLIC' })).toBe('private, no-cache');
    expect(cacheControlHeader({ maxAge: undefined, scope: 'PUBLIC' })).toBe('private, no-cache');
  });
  it('combines a batch to its most restrictive entry', () => {
    expect(combineCacheControl(['max-age=60, public', 'max-age=20, private'])).toBe('max-age=20, private');
    expect(combineCacheControl(['max-age=60, public', 'private, no-cache'])).toBe('private, no-cache');
    expect(combineCacheControl(['max-age=60, public', 'no-store', 'private, no-cache'])).toBe('no-store');
    expect(combineCacheControl(['max-age=60, public', undefined])).toBe('no-store');
  });
});
