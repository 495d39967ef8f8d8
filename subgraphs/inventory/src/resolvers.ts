import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { InventoryContext } from './loaders';
import { shippingEstimate } from './shippingEstimate';

/** A `Product` reference as the gateway sends it: the key plus the `@requires` fields when asked. */
interface ProductReference { readonly upc: string; readonly price?: number | null; readonly weight?: number | null }

/** Resolvers of the inventory subgraph, by type. */
export const resolvers: GraphQLResolverMap<InventoryContext> = {
  Product: {
    __resolveReference: (reference: ProductReference) => reference,
    inStock: async (product: ProductReference, _args: unknown, { loaders }: InventoryContext) => (await loaders.stock.load(product.upc))?.inStock ?? null,
    shippingEstimate: (product: ProductReference) => shippingEstimate(product.price, product.weight),
  },
};
