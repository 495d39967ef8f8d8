import { request } from 'undici';

/**
 * Reads the subscription counters a reference subgraph reports on its `/health` route.
 *
 * @param graphqlUrl - the subgraph's `http://host:port/graphql` URL.
 * @returns `active` (open now) and `started` (since the process started) subscription counts.
 */
export async function subgraphSubscriptions(graphqlUrl: string): Promise<{ active: number; started: number }> {
  const res = await request(graphqlUrl.replace(/\/graphql$/, '/health'));
  const body = (await res.body.json()) as { subscriptions: { active: number; started: number } };
  return body.subscriptions;
}
