import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { postGraphQL } from '@roam/testkit';
import { startInProcessGateway, startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { writeSupergraph } from '../support/stack';

// Issue 18 item 8 (amplification guards), the part on the executor and the limits: `__typename` aliases count
// toward MAX_ALIASES, and the response stops being built once it passes MAX_RESPONSE_FIELDS.
describe('amplification guards', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    const config = readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'silent', MAX_RESPONSE_FIELDS: '20' });
    gateway = createGateway(config, pino({ level: 'silent' }));
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  it('600 __typename aliases are 600 aliases: refused by MAX_ALIASES (30) before any subgraph call', async () => {
    const before = subgraphs.servers.accounts.requestCount();
    const aliases = Array.from({ length: 600 }, (_, i) => `t${i}: __typename`).join(' ');
    const res = await postGraphQL(url, { query: `{ users { ${aliases} } }` });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'MAX_ALIASES_LIMIT', measured: 600, limit: 30 });
    expect(subgraphs.servers.accounts.requestCount()).toBe(before);
  });

  it('a response past MAX_RESPONSE_FIELDS is cut with RESPONSE_TOO_LARGE; a small one is served; /health answers', async () => {
    const big = await postGraphQL(url, { query: '{ topProducts(first: 20) { upc name price } }' });
    expect(big.status).toBe(200);
    expect(big.body).toEqual({ errors: [{ message: expect.stringMatching(/more than 20 fields/), extensions: { code: 'RESPONSE_TOO_LARGE', limit: 20 } }] });
    const small = await postGraphQL(url, { query: '{ topProducts(first: 2) { upc } }' });
    expect(small.body.data.topProducts).toHaveLength(2);
    expect((await request(url.replace('/graphql', '/health'))).statusCode).toBe(200);
  });
});

// With the operation limits off, the aliases reach the subgraph: the gateway stops reading its reply past
// SUBGRAPH_MAX_RESPONSE_BYTES instead of parsing and merging it whole.
describe('amplification guards with LIMITS_MODE=off', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    ({ gateway, url } = await startInProcessGateway(subgraphs, {
      LIMITS_MODE: 'off',
      SUBGRAPH_MAX_RESPONSE_BYTES: '20000',
    }));
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  it('a subgraph reply past SUBGRAPH_MAX_RESPONSE_BYTES is cut: the fields are null with "response too large", nothing else is lost', async () => {
    const aliases = Array.from({ length: 600 }, (_, i) => `t${i}: __typename`).join(' ');
    const res = await postGraphQL(url, { query: `{ users { ${aliases} } topProducts(first: 1) { upc } }` });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ users: null, topProducts: [{ upc: expect.any(String) }] });
    expect(res.body.errors).toEqual([
      { message: expect.stringMatching(/response too large/), extensions: expect.objectContaining({ code: 'SUBREQUEST_HTTP_ERROR', serviceName: 'accounts', reason: 'response too large' }) },
    ]);
    expect(res.text).not.toMatch(/127\.0\.0\.1|\d{5} bytes/);
    expect((await request(url.replace('/graphql', '/health'))).statusCode).toBe(200);
    const small = await postGraphQL(url, { query: '{ users { id } }' });
    expect(small.body.data.users.length).toBeGreaterThan(0);
  });
});
