import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { resumableEvents, resumeRequestOf, type PubSub } from '@roam/subgraph-kit';
import type { InventoryContext } from './loaders';
import { shippingEstimate } from './shippingEstimate';
import type { InventoryRow } from './seed';

/** A `Product` reference as the gateway sends it: the key plus the `@requires` fields when asked. */
interface ProductReference {
  readonly upc: string;
  readonly price?: number | null;
  readonly weight?: number | null;
  readonly inStock?: boolean | null;
}

/** Pub/sub channel of `Subscription.stockChanged`; the payload is the updated {@link InventoryRow}. */
export const STOCK_CHANGED_CHANNEL = 'inventory:STOCK_CHANGED';

/**
 * @param pubsub - event bus: `setInStock` publishes on {@link STOCK_CHANGED_CHANNEL}, `stockChanged` listens.
 * @returns the resolvers of the inventory subgraph, by type.
 */
export function createResolvers(pubsub: PubSub): GraphQLResolverMap<InventoryContext> {
  return {
    Mutation: {
      setInStock: async (_root, { upc, inStock }: { upc: string; inStock: boolean }, { repository }) => {
        const row = await repository.setInStock(upc, inStock);
        if (!row) return null;
        await pubsub.publish(STOCK_CHANGED_CHANNEL, { upc: row.upc, inStock: row.inStock } satisfies InventoryRow);
        // gateways' response caches: also when the change did not come through a gateway
        await pubsub.invalidateCache?.({ entities: [`Product:${row.upc}`] });
        return { ...row };
      },
    },
    Subscription: {
      stockChanged: {
        subscribe: (_root: unknown, { upc }: { upc: string }, context: unknown) => resumableEvents<InventoryRow>(pubsub, STOCK_CHANGED_CHANNEL, (row) => row.upc === upc, resumeRequestOf(context)),
        resolve: (row: InventoryRow) => row,
      },
    },
    Product: {
      __resolveReference: (reference: ProductReference) => reference,
      // An event or mutation result carries `inStock`; an entity reference from the gateway does not.
      inStock: async (product: ProductReference, _args: unknown, { loaders }: InventoryContext) =>
        typeof product.inStock === 'boolean' ? product.inStock : ((await loaders.stock.load(product.upc))?.inStock ?? null),
      shippingEstimate: (product: ProductReference) => shippingEstimate(product.price, product.weight),
    },
  };
}
