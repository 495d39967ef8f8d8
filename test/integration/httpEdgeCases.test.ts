import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { ROOT } from '../support/stack';

// A new user's bad input against the newer HTTP surfaces (push registrations, developer console, sandbox):
// each gets a GraphQL-shaped error with a stable code and the right status, never a 500 or Fastify's own body.
// One gateway on port 0 (no subgraphs: nothing here reaches one).
describe('HTTP edge cases: push registrations, console, sandbox negotiation, router errors', () => {
  const TOKEN = 'edge-case-token-0123456789';
  let gateway: RoamGateway;
  let origin: string;
  const call = async (path: string, options: { method?: 'GET' | 'POST' | 'DELETE'; headers?: Record<string, string>; body?: string } = {}) => {
    const res = await request(`${origin}${path}`, { method: options.method ?? 'GET', headers: options.headers ?? {}, body: options.body });
    const text = await res.body.text();
    return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), text, json: () => JSON.parse(text) as { errors?: { extensions: { code: string } }[]; data?: unknown } };
  };

  beforeAll(async () => {
    gateway = createGateway(
      readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql'), DEV_CONSOLE: 'on', DEV_CONSOLE_TOKEN: TOKEN, PUSH: 'on' }),
      pino({ level: 'silent' }),
    );
    origin = new URL(await gateway.listen()).origin;
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('push registration with variables nested 20,000 deep: 400 PUSH_REGISTRATION_INVALID (was a stack overflow answered 500), gateway keeps serving', async () => {
    const deep = `{"platform":"apns","token":"${'ab'.repeat(32)}","documentId":"sha256:${'a'.repeat(64)}","variables":{"v":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
    const res = await call('/push/registrations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(res.status).toBe(400);
    expect(res.json().errors?.[0]?.extensions.code).toBe('PUSH_REGISTRATION_INVALID');
    expect(res.text).toContain('nested deeper than 64');
    expect((await call('/health')).status).toBe(200);
  });

  it('push routes and an empty JSON body: DELETE needs none (404 for an unknown id, not 400), POST is told to send a JSON object (not a GraphQL "query")', async () => {
    const json = { 'content-type': 'application/json' };
    const removed = await call(`/push/registrations/${'0'.repeat(32)}`, { method: 'DELETE', headers: { ...json, 'content-length': '0' } });
    expect({ status: removed.status, code: removed.json().errors?.[0]?.extensions.code }).toEqual({ status: 404, code: 'PUSH_REGISTRATION_NOT_FOUND' });
    const empty = await call('/push/registrations', { method: 'POST', headers: json, body: '' });
    expect({ status: empty.status, code: empty.json().errors?.[0]?.extensions.code }).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(empty.text).not.toContain('query');
    const graphql = await call('/graphql', { method: 'POST', headers: json, body: '' });
    expect(graphql.text).toContain('with \\"query\\"');
  });

  it("router errors are GraphQL-shaped: bad percent-encoding 400 BAD_REQUEST, an over-long registration id 404 NOT_FOUND (not Fastify's FST_ERR_* body)", async () => {
    for (const path of ['/push/registrations/%zz', '/console/assets/%zz', '/%zz']) {
      const res = await call(path);
      expect({ path, status: res.status, code: res.json().errors?.[0]?.extensions.code }).toEqual({ path, status: 400, code: 'BAD_REQUEST' });
      expect(res.text).not.toContain('FST_ERR');
    }
    for (const path of [`/push/registrations/${'a'.repeat(5000)}`, `/console/assets/${'a'.repeat(101)}`]) {
      const res = await call(path);
      expect({ status: res.status, code: res.json().errors?.[0]?.extensions.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(res.text).not.toContain('FST_ERR');
      expect(res.text).not.toContain('aaaaaaaaaa'); // the URL is not echoed
    }
  });

  it('GET /graphql serves GraphiQL only when Accept prefers HTML; API clients listing text/html second, or with q=0, get their result', async () => {
    const query = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
    for (const accept of ['application/json, text/html', 'text/html;q=0, */*', 'text/html;q=0.1, application/json', 'application/graphql-response+json, text/html;q=0.9', '*/*']) {
      const res = await call(query, { headers: { accept, 'apollo-require-preflight': '1', authorization: `Bearer ${TOKEN}` } });
      expect({ accept, status: res.status, type: res.type.split(';')[0], body: res.json() }).toEqual({
        accept,
        status: 200,
        type: accept.startsWith('application/graphql-response+json') ? 'application/graphql-response+json' : 'application/json',
        body: { data: { __typename: 'Query' } },
      });
    }
    for (const accept of ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', 'text/html, application/json']) {
      const page = await call('/graphql', { headers: { accept, authorization: `Bearer ${TOKEN}` } });
      expect({ accept, status: page.status, type: page.type.split(';')[0] }).toEqual({ accept, status: 200, type: 'text/html' });
      expect(page.text).toContain('/console/assets/graphiql.min.js');
    }
  });

  it('console data without or with a wrong token: 401 CONSOLE_TOKEN_REQUIRED; an unknown or traversing asset: 404 NOT_FOUND', async () => {
    const tokenless: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-000000000' }, { cookie: 'roam_console=wrong' }];
    for (const headers of tokenless) {
      const res = await call('/console/data', { headers });
      expect({ status: res.status, code: res.json().errors?.[0]?.extensions.code }).toEqual({ status: 401, code: 'CONSOLE_TOKEN_REQUIRED' });
    }
    for (const path of ['/console/assets/..%2f..%2fpackage.json', '/console/assets/nope.js', '/console/assets/console.css%00']) {
      const res = await call(path);
      expect({ path, status: res.status, code: res.json().errors?.[0]?.extensions.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
    }
  });
});
