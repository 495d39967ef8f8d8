import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { ROOT } from '../support/stack';

// Issue 15 item 5: the console is off by default in production and serves nothing there; when on, its assets are
// the exact pinned GraphiQL and React bundles from node_modules, and nothing else. (Real listeners on port 0.)
describe('developer console settings and assets', () => {
  const gateways: RoamGateway[] = [];
  /** Starts a gateway; `get(path, headers)` requests it. */
  const gateway = async (env: Record<string, string>) => {
    const g = createGateway(readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql'), ...env }), pino({ level: 'silent' }));
    gateways.push(g);
    const origin = new URL(await g.listen()).origin;
    return {
      get: async (path: string, headers: Record<string, string> = {}) => {
        const res = await request(`${origin}${path}`, { headers });
        return { statusCode: res.statusCode, headers: res.headers, body: await res.body.text() };
      },
    };
  };
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
  });

  it('NODE_ENV=production: no console, no sandbox; a browser GET /graphql is the GraphQL endpoint (406, JSON)', async () => {
    const g = await gateway({ NODE_ENV: 'production' });
    expect((await g.get('/console')).statusCode).toBe(404);
    expect((await g.get('/console/assets/graphiql.min.js')).statusCode).toBe(404);
    const browser = await g.get('/graphql?token=anything', { accept: 'text/html' });
    expect(browser.statusCode).not.toBe(200);
    expect(browser.headers['content-type']).not.toMatch(/text\/html/);
  });

  it('serves the pinned GraphiQL and React bundles, and only the listed assets', async () => {
    const g = await gateway({ DEV_CONSOLE: 'on', DEV_CONSOLE_TOKEN: 'a-test-token-0123456' });
    const pins = JSON.parse(readFileSync(join(ROOT, 'gateway/package.json'), 'utf8')).dependencies as Record<string, string>;
    expect({ graphiql: pins.graphiql, react: pins.react, 'react-dom': pins['react-dom'] }).toEqual({ graphiql: '4.1.2', react: '18.3.1', 'react-dom': '18.3.1' });
    const react = await g.get('/console/assets/react.production.min.js');
    expect(react.statusCode).toBe(200);
    expect(react.body).toContain('version="18.3.1"');
    expect((await g.get('/console/assets/react-dom.production.min.js')).body).toContain('"18.3.1"');
    const graphiql = await g.get('/console/assets/graphiql.min.js');
    expect(graphiql.body).toBe(readFileSync(join(ROOT, 'node_modules/graphiql/graphiql.min.js'), 'utf8'));
    expect(JSON.parse(readFileSync(join(ROOT, 'node_modules/graphiql/package.json'), 'utf8')).version).toBe('4.1.2');
    for (const url of ['/console/assets/package.json', '/console/assets/..%2F..%2Fpackage.json', '/console/assets/%2e%2e%2fconfig.ts']) {
      expect({ url, status: (await g.get(url)).statusCode }).toEqual({ url, status: 404 });
    }
    // the pages ask for the token and set the cookie from ?token=
    expect((await g.get('/console')).statusCode).toBe(401);
    const login = await g.get('/console?token=a-test-token-0123456');
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/console');
    expect(login.headers['set-cookie']).toBe('roam_console=a-test-token-0123456; Path=/; HttpOnly; SameSite=Strict');
    const page = await g.get('/console', { cookie: 'other=1; roam_console=a-test-token-0123456' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('/console/assets/console.js');
  });
});
