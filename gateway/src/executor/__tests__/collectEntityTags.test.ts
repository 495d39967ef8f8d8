import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getOperationAST, parse } from 'graphql';
import { SupergraphSnapshot } from '../../supergraph/SupergraphSnapshot';
import { collectEntityTags, entityKeys, entityTag } from '../collectEntityTags';

const snapshot = new SupergraphSnapshot(readFileSync(join(__dirname, '../../../../supergraph.graphql'), 'utf8'), 1);

function tags(query: string, data: unknown): string[] {
  const document = parse(query);
  return collectEntityTags(snapshot.apiSchema, snapshot.supergraphSchema, document, getOperationAST(document)!, data).sort();
}

describe('collectEntityTags', () => {
  it('reads the entity keys of the supergraph (@join__type key)', () => {
    const keys = entityKeys(snapshot.supergraphSchema);
    expect(keys.get('Product')).toEqual(['upc']);
    expect(keys.get('User')).toEqual(['id']);
    expect(keys.get('Review')).toEqual(['id']);
    expect(keys.has('PageInfo')).toBe(false);
    expect(entityTag('Product', ['1'])).toBe('Product:1');
  });

  it('names entities through aliases, fragments and lists, with keys the plan fetched but the client did not select', () => {
    const query = `query Q { p: product(upc: "1") { ...P } users { name reviews { ... on Review { body } } } }
      fragment P on Product { name reviews { author { username } } }`;
    // merged data as the executor holds it: key fields and __typename fetched for the plan's entity fetches
    const data = {
      p: { upc: '1', __typename: 'Product', name: 'Table', reviews: [{ id: '10', author: { __typename: 'User', id: '2', username: 'b' } }] },
      users: [
        { id: '1', name: 'A', reviews: [{ id: '11', body: 'x' }] },
        { id: '3', name: 'C', reviews: [] },
      ],
    };
    expect(tags(query, data)).toEqual(['Product:1', 'Review:10', 'Review:11', 'User:1', 'User:2', 'User:3']);
  });

  it('names an entity without its key by its typename (any change to the type drops the response); skips nulls and non-entities', () => {
    const query = '{ product(upc: "2") { name } topProducts { upc } review(id: "9") { id } }';
    expect(tags(query, { product: { name: 'Couch' }, topProducts: [{ upc: '3' }, null], review: null })).toEqual(['Product', 'Product:3']);
    expect(tags('{ product(upc: "1") { reviewsConnection { pageInfo { hasNextPage } } } }', { product: null })).toEqual([]);
  });
});
