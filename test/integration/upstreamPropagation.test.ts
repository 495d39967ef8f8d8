import pino from 'pino';
import { request } from 'undici';
import { parse } from 'graphql';
import WebSocket from 'ws';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { createSubgraphServer, type SubgraphRequestInfo, type SubgraphServer } from '@roam/subgraph-kit';
import { signRequest } from '@roam/subgraph-registry/signing';
import { openRaw, type RawSocket } from '@roam/testkit';
import { mintToken, signingKey, type SigningKey } from '../support/jwks';
import { writeSupergraph } from '../support/stack';

// Issue 18 items 4-5 on subscriptions: the upstream `connection_init` follows the HTTP propagation rules (allowlisted
// headers plus `roam-claims`, signed on the upgrade), and upstream sockets/subscriptions are shared only within one scope.
const SECRET = 'a-test-secret-of-32-characters!!';
const SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@shareable"])
  type Query { whoamiVersion: Int }
  type Subscription { whoami: Who }
  type Who { sub: String scope: String tenant: String secret: String authorization: String forged: String payload: String }
`;

describe('upstream subscription connection_init follows SUBGRAPH_PROPAGATE_HEADERS and carries signed claims', () => {
  let subgraph: SubgraphServer;
  let subgraphUrl: string;
  let gateway: RoamGateway;
  let url: string;
  let key: SigningKey;
  /** connection_init payloads the subgraph received, and the roam-claims header of each upgrade. */
  const upgrades: (string | undefined)[] = [];

  beforeAll(async () => {
    key = await signingKey('k1');
    subgraph = createSubgraphServer<{ request?: SubgraphRequestInfo }>({
      name: 'whoami',
      typeDefs: parse(SDL),
      createContext: (request) => ({ request }),
      signing: { secret: SECRET, required: true, maxAgeMs: 60_000 },
      resolvers: {
        Query: { whoamiVersion: () => 1 },
        Subscription: {
          whoami: {
            subscribe: async function* (_root: unknown, _args: unknown, context: { request?: SubgraphRequestInfo }) {
              const h = context.request?.headers ?? {};
              const claims = context.request?.claims;
              yield {
                whoami: {
                  sub: claims?.sub ?? null,
                  scope: claims?.scope ?? null,
                  tenant: h['x-tenant'] ?? null,
                  secret: h['x-secret'] ?? null,
                  authorization: h.authorization ?? null,
                  forged: claims?.forged ?? null,
                  payload: JSON.stringify(context.request?.connectionParams ?? null),
                },
              };
            },
          },
        },
      } as never,
    });
    subgraph.app.server.prependListener('upgrade', (req) => upgrades.push(req.headers['roam-claims'] as string | undefined));
    subgraphUrl = await subgraph.listen(0);
    const config = readConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph([{ name: 'whoami', url: subgraphUrl, sdl: SDL }]),
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'optional',
      AUTH_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
      SUBGRAPH_SIGNING_SECRETS: JSON.stringify({ '*': SECRET }),
      SUBGRAPH_PROPAGATE_HEADERS: 'x-tenant',
    });
    gateway = createGateway(config, pino({ level: 'silent' }));
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraph?.close();
  });

  const QUERY = 'subscription { whoami { sub scope tenant secret authorization forged payload } }';
  const forgedClaims = Buffer.from('{"sub":"5","forged":"yes"}').toString('base64url');

  async function whoami(payload: Record<string, unknown>): Promise<{ socket: RawSocket; who: Promise<Record<string, unknown>> }> {
    const socket = await openRaw(url);
    socket.send({ type: 'connection_init', payload });
    await socket.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
    socket.send({ id: 'w', type: 'subscribe', payload: { query: QUERY } });
    const who = socket.waitMessage((m) => m.type === 'next' && m.id === 'w', 'whoami event').then((m) => m.payload.data.whoami as Record<string, unknown>);
    return { socket, who };
  }

  it("sends only allowlisted headers and the verified claims upstream, never the client's authorization or its copy of roam-claims", async () => {
    const token = await mintToken(key, '3', { claims: { scope: 'a b' } });
    upgrades.length = 0;
    const { socket, who } = await whoami({ authorization: `Bearer ${token}`, headers: { 'X-Tenant': 'blue', 'x-secret': 'no', 'roam-claims': forgedClaims } });
    const seen = await who;
    expect({ ...seen, payload: undefined }).toEqual({ sub: '3', scope: 'a b', tenant: 'blue', secret: null, authorization: null, forged: null, payload: undefined });
    expect(upgrades).toHaveLength(1);
    expect(JSON.parse(Buffer.from(upgrades[0]!, 'base64url').toString())).toMatchObject({ sub: '3', scope: 'a b' });
    // the subgraph's connection_init payload is exactly what an HTTP fetch would carry: the allowlisted header and the verified claims
    expect(JSON.parse(seen.payload as string)).toEqual({ headers: { 'x-tenant': 'blue', 'roam-claims': upgrades[0] } });
    socket.ws.close();

    // anonymous: no claims, no authorization; the tenant still propagates
    const anon = await whoami({ headers: { 'x-tenant': 'red', 'roam-claims': forgedClaims } });
    expect(await anon.who).toEqual({ sub: null, scope: null, tenant: 'red', secret: null, authorization: null, forged: null, payload: JSON.stringify({ headers: { 'x-tenant': 'red' } }) });
    anon.socket.ws.close();
  });

  it('connections with different propagated headers or users never share an upstream socket or subscription', async () => {
    const [alice, bob] = await Promise.all([mintToken(key, '3'), mintToken(key, '5')]);
    upgrades.length = 0;
    const callers = [
      { authorization: `Bearer ${alice}`, headers: { 'x-tenant': 'red' } },
      { authorization: `Bearer ${alice}`, headers: { 'x-tenant': 'green' } },
      { authorization: `Bearer ${bob}`, headers: { 'x-tenant': 'red' } },
      { headers: { 'x-tenant': 'red' } },
    ];
    const opened = await Promise.all(callers.map((payload) => whoami(payload)));
    const seen = await Promise.all(opened.map((o) => o.who));
    expect(seen.map((w) => [w.sub, w.tenant])).toEqual([
      ['3', 'red'],
      ['3', 'green'],
      ['5', 'red'],
      [null, 'red'],
    ]);
    // one upstream WebSocket per scope: four distinct scopes, four upgrades
    expect(upgrades).toHaveLength(4);
    for (const o of opened) o.socket.ws.close();
  });

  it('a multipart HTTP subscription follows the same rules upstream', async () => {
    const token = await mintToken(key, '7', { claims: { scope: 'm' } });
    const res = await request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json',
        authorization: `Bearer ${token}`,
        'x-tenant': 'violet',
        'x-secret': 'no',
      },
      body: JSON.stringify({ query: QUERY }),
    });
    expect(res.headers['content-type']).toMatch(/subscriptionSpec=1.0/);
    const text = await res.body.text(); // the subgraph completes after its one event: the stream ends
    const part = /\{"payload":(\{"data".*?\})\}\r?\n/.exec(text);
    expect(part).not.toBeNull();
    const who = JSON.parse(part![1]!).data.whoami as Record<string, unknown>;
    expect({ ...who, payload: undefined }).toEqual({ sub: '7', scope: 'm', tenant: 'violet', secret: null, authorization: null, forged: null, payload: undefined });
    expect(Object.keys(JSON.parse(who.payload as string).headers).sort()).toEqual(['roam-claims', 'x-tenant']);
  });

  it('the subgraph kit refuses an upgrade whose roam-claims the signature does not cover', async () => {
    const path = new URL(subgraphUrl).pathname;
    const open = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(subgraphUrl.replace(/^http/, 'ws'), ['graphql-transport-ws'], { headers });
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(0));
      });
    expect(await open({ 'roam-signature': signRequest(SECRET, 'GET', path, ''), 'roam-claims': forgedClaims })).toBe(401);
    expect(await open({ 'roam-signature': signRequest(SECRET, 'GET', path, '', forgedClaims), 'roam-claims': forgedClaims })).toBe(101);
  });
});
