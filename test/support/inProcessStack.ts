import { loadDataset, type SubgraphServer } from '@roam/subgraph-kit';
import { buildAccountsSubgraph } from '@roam/subgraph-accounts/dist/server';
import { buildProductsSubgraph } from '@roam/subgraph-products/dist/server';
import { buildInventorySubgraph } from '@roam/subgraph-inventory/dist/server';
import { buildReviewsSubgraph } from '@roam/subgraph-reviews/dist/server';
import { SUBGRAPH_NAMES, subgraphSdl, type SubgraphName } from './stack';
import type { SubgraphDefinition } from '@roam/gateway';

/** The four reference subgraphs built in this process, listening on free loopback ports. */
export interface InProcessSubgraphs {
  readonly servers: Record<SubgraphName, SubgraphServer>;
  /** Repositories, to read data-source call counts. */
  readonly repositories: ReturnType<typeof build>['repositories'];
  readonly urls: Record<SubgraphName, string>;
  definitions(): SubgraphDefinition[];
  close(): Promise<void>;
}

function build() {
  const data = loadDataset('benchmark');
  const accounts = buildAccountsSubgraph(data);
  const products = buildProductsSubgraph(data);
  const inventory = buildInventorySubgraph(data);
  const reviews = buildReviewsSubgraph(data);
  return {
    servers: { accounts: accounts.server, products: products.server, inventory: inventory.server, reviews: reviews.server },
    repositories: { accounts: accounts.repository, products: products.repository, inventory: inventory.repository, reviews: reviews.repository },
  };
}

/** Builds the four subgraphs in-process (real HTTP servers on port 0) over the benchmark dataset. */
export async function startInProcessSubgraphs(): Promise<InProcessSubgraphs> {
  const { servers, repositories } = build();
  const urls = {} as Record<SubgraphName, string>;
  for (const name of SUBGRAPH_NAMES) urls[name] = await servers[name].listen(0);
  return {
    servers,
    repositories,
    urls,
    definitions: () => SUBGRAPH_NAMES.map((name) => ({ name, url: urls[name], sdl: subgraphSdl(name) })),
    close: async () => {
      await Promise.all(SUBGRAPH_NAMES.map((n) => servers[n].close()));
    },
  };
}
