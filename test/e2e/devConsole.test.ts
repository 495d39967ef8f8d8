import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { request } from 'undici';
import { postGraphQL } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { ROOT, startGateway, writeSupergraph, type GatewayProcess } from '../support/stack';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it when missing). playwright-core downloads no browser. */
const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'test-console-token-0123456789';

// Issue 15 item 5: the GraphiQL sandbox and the developer console, in a real headless Chromium driven by
// playwright-core, against a gateway process and the reference subgraphs (one of which the test stops).
describe('developer console and GraphiQL sandbox (headless Chromium)', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: GatewayProcess;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  let inventoryStopped = false;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    const started = startGateway(writeSupergraph(subgraphs.definitions()), {
      LOG_LEVEL: 'warn',
      DEV_CONSOLE: 'on',
      DEV_CONSOLE_TOKEN: TOKEN,
      LIMITS_BY_CLIENT: JSON.stringify({ tiny: { maxDepth: 2 } }),
    });
    // one browser for the suite, launched while the gateway starts
    [gateway, browser] = await Promise.all([started, chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })]);
    origin = new URL(gateway.url).origin;
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gateway?.stop();
    if (subgraphs) await Promise.all(Object.entries(subgraphs.servers).map(([name, s]) => (name === 'inventory' && inventoryStopped ? undefined : s.close())));
  });

  it('asks for the token; API clients of GET /graphql are not affected', async () => {
    const page = await request(`${origin}/console`, { headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(401);
    expect(await page.body.text()).toContain('?token=');
    const sandbox = await request(`${origin}/graphql`, { headers: { accept: 'text/html' } });
    expect(sandbox.statusCode).toBe(401);
    await sandbox.body.dump();
    const wrong = await request(`${origin}/console/data`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
    const data = await request(`${origin}/console/data`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(data.statusCode).toBe(200);
    expect(await data.body.json()).toMatchObject({ supergraph: { version: 1 }, subgraphs: expect.arrayContaining([expect.objectContaining({ name: 'inventory', health: 'up' })]) });
    // a JSON GET is the GraphQL API as before
    const api = await request(`${gateway.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(api.statusCode).toBe(200);
    expect(await api.body.json()).toEqual({ data: { __typename: 'Query' } });
    // the bundles come from node_modules, not a CDN
    const asset = await request(`${origin}/console/assets/graphiql.min.js`);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await asset.body.text()).length).toBeGreaterThan(500_000);
  });

  it('GET /graphql from a browser serves GraphiQL from the npm bundles, and a query runs in it and shows its result', async () => {
    const page = await context.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) external.push(r.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // ?token= sets the cookie and redirects to /graphql without it
    await page.goto(`${gateway.url}?token=${TOKEN}`);
    expect(new URL(page.url()).search).toBe('');
    await page.locator('.graphiql-container').waitFor({ timeout: 20_000 });
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.result-window');
    await result.getByText('"topProducts"').waitFor({ timeout: 20_000 });
    const text = await result.innerText();
    expect(text).toContain('"upc"');
    expect(text).toContain('"price"');
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });

  it('the console shows the supergraph, subgraphs, client versions, refusals, and a subgraph going down', async () => {
    // traffic for the tables: an app version, and a refusal by a per-client limit
    expect(
      (await postGraphQL(gateway.url, { query: 'query Top { topProducts(first: 2) { upc inStock } }' }, { 'apollographql-client-name': 'ios', 'apollographql-client-version': '3.2.1' })).status,
    ).toBe(200);
    const refused = await postGraphQL(gateway.url, { query: 'query Deep { topProducts { reviews { body } } }' }, { 'apollographql-client-name': 'tiny', 'apollographql-client-version': '1.0.0' });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('MAX_DEPTH_LIMIT');

    const page = await context.newPage();
    await page.goto(`${origin}/console`);
    await page.locator('#supergraph-version').getByText('1').waitFor();
    const inventory = page.locator('tr[data-subgraph="inventory"]');
    await inventory.and(page.locator('[data-health="up"]')).waitFor({ timeout: 10_000 });
    for (const name of ['accounts', 'products', 'inventory', 'reviews']) expect(await page.locator(`tr[data-subgraph="${name}"]`).count()).toBe(1);
    const versions = page.locator('#client-versions');
    await versions.getByText('3.2.1').waitFor();
    expect(await versions.innerText()).toMatch(/ios\s+3\.2\.1\s+1\s+0\.0 %/);
    expect(await versions.innerText()).toContain('roam-sandbox');
    // the sandbox page itself (GET /graphql, text/html) is not counted as a GraphQL request: only its POSTs are
    const data = (await (await request(`${origin}/console/data`, { headers: { authorization: `Bearer ${TOKEN}` } })).body.json()) as { clientVersions: { clientName: string; requests: number }[] };
    const anonymous = data.clientVersions.find((v) => v.clientName === '(none)');
    expect(anonymous?.requests).toBe(1); // the JSON GET of the first test
    expect(await page.locator('#operations').innerText()).toMatch(/ios\s+3\.2\.1\s+Top/);
    expect(await page.locator('#limit-refusals').innerText()).toMatch(/MAX_DEPTH_LIMIT\s+tiny\s+1\.0\.0\s+Deep/);

    // stop the inventory subgraph's server: the next poll shows it down
    await subgraphs.servers.inventory!.close();
    inventoryStopped = true;
    await inventory.and(page.locator('[data-health="down"]')).waitFor({ timeout: 15_000 });
    expect(await inventory.innerText()).toMatch(/down \((ECONNREFUSED|UND_ERR_\w+|\w+Error)\)/);
    expect(await page.locator('tr[data-subgraph="products"][data-health="up"]').count()).toBe(1);

    const dir = join(ROOT, 'test-results');
    mkdirSync(dir, { recursive: true });
    const screenshot = join(dir, 'dev-console.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`developer console screenshot: ${screenshot}`);
    await page.close();
  });
});
