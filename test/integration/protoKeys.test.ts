import { postGraphQL } from '@roam/testkit';
import type { RoamGateway } from '@roam/gateway';
import { startInProcessGateway, startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';

// A response key `__proto__` (a client's alias; GraphQL allows any Name) is an ordinary key of the response, as
// graphql-js's own executor returns it. Assigned with `obj[key] = value` to a plain object, it sets the object's
// prototype instead (and the key is lost); merged into an object that lacks it, `target.__proto__` reads
// Object.prototype, and merging into that would change every object of the gateway process.
let subgraphs: InProcessSubgraphs;
const gateways: RoamGateway[] = [];

beforeAll(async () => {
  subgraphs = await startInProcessSubgraphs();
});
afterAll(async () => {
  for (const g of gateways) await g.close();
  await subgraphs.close();
});

describe.each([
  ['merging on', {}],
  ['merging off', { MERGE_SUBGRAPH_FETCHES: 'false' }],
  ['Apollo Gateway executor', { EXECUTOR: 'apollo' }],
])('a response key __proto__ (%s)', (_label, env: Record<string, string>) => {
  let url: string;
  beforeAll(async () => {
    const started = await startInProcessGateway(subgraphs, env);
    gateways.push(started.gateway);
    url = started.url;
  });

  it('an alias __proto__ on a root field is an own key of the response with its value', async () => {
    const res = await postGraphQL(url, { query: '{ __proto__: topProducts(first: 1) { upc } }' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('"__proto__"');
    expect(res.body).toEqual(JSON.parse('{"data":{"__proto__":[{"upc":"1"}]}}'));
  });

  it('an alias __proto__ on an entity field another subgraph resolves is kept, and changes no other object of the gateway', async () => {
    const res = await postGraphQL(url, { query: '{ topProducts(first: 2) { upc __proto__: reviewsConnection(first: 1) { totalCount } stock: inStock } }' });
    expect(res.status).toBe(200);
    expect(Object.prototype).not.toHaveProperty('totalCount');
    expect(({} as Record<string, unknown>).totalCount).toBeUndefined();
    const products = (res.body as { data: { topProducts: Record<string, unknown>[] } }).data.topProducts;
    expect(products).toHaveLength(2);
    for (const p of products) {
      expect(Object.keys(p)).toEqual(['upc', '__proto__', 'stock']);
      expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
      expect(typeof (p.__proto__ as { totalCount: unknown }).totalCount).toBe('number');
    }
    // the next request of another client sees nothing of it
    const next = await postGraphQL(url, { query: '{ topProducts(first: 1) { upc } }' });
    expect(next.body).toEqual({ data: { topProducts: [{ upc: '1' }] } });
  });
});
