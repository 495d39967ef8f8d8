import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { nullWhenNotFound } from '@roam/subgraph-kit';
import { GraphQLError } from 'graphql';
import type { ProductsContext } from './loaders';

/** Largest `first` that `Query.topProducts` accepts. */
export const MAX_TOP_PRODUCTS = 100;

/** Resolvers of the products subgraph, by type. */
export const resolvers: GraphQLResolverMap<ProductsContext> = {
  Query: {
    topProducts: (_root, { first }: { first: number }, { repository }) => {
      if (first < 0 || first > MAX_TOP_PRODUCTS) {
        throw new GraphQLError(`Argument "first" must be between 0 and ${MAX_TOP_PRODUCTS}; got ${first}.`, { extensions: { code: 'BAD_USER_INPUT' } });
      }
      return repository.findFirst(first);
    },
    product: (_root, { upc }: { upc: string }, { loaders }) => loaders.product.load(upc).catch(nullWhenNotFound),
  },
  Product: {
    __resolveReference: (reference: { upc: string }, { loaders }: ProductsContext) => loaders.product.load(reference.upc),
  },
};
