import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { useSubgraphSigning, type SubgraphServer } from '@roam/subgraph-kit';
import { signRequest } from '@roam/subgraph-registry/signing';
import { openRaw, postGraphQL } from '@roam/testkit';
import { buildRegistrySubgraphs, IN_PROCESS_NAMES } from '../support/inProcessStack';
import { mintToken, signingKey, type SigningKey } from '../support/jwks';
import { subgraphSdl, writeSupergraph } from '../support/stack';

// Issue 18 items 4-6: signed subgraph calls (subgraphs refuse unsigned and stale ones), header propagation by
// allowlist plus the verified claims, and no sharing of in-flight work across users.
const SECRET = 'a-test-secret-of-32-characters!!';

describe('signed subgraph calls, header propagation, no sharing across users', () => {
  let servers: Record<string, SubgraphServer>;
  const urls: Record<string, string> = {};
  let gateway: RoamGateway;
  let url: string;
  let key: SigningKey;
  /** Headers of every request the accounts subgraph received. */
  const seen: Record<string, string | string[] | undefined>[] = [];

  beforeAll(async () => {
    key = await signingKey('k1');
    useSubgraphSigning({ secret: SECRET, required: true, maxAgeMs: 60_000 });
    try {
      servers = buildRegistrySubgraphs().servers;
    } finally {
      useSubgraphSigning(undefined);
    }
    servers.accounts!.app.addHook('onRequest', async (req) => {
      if (req.url.startsWith('/graphql')) seen.push({ ...req.headers });
    });
    for (const name of IN_PROCESS_NAMES) urls[name] = await servers[name]!.listen(0);
    const definitions = IN_PROCESS_NAMES.map((name) => ({ name, url: urls[name]!, sdl: subgraphSdl(name) }));
    const config = readConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph(definitions),
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
    await Promise.all(IN_PROCESS_NAMES.map((n) => servers?.[n]?.close()));
  });

  const post = (body: string, headers: Record<string, string>) => request(urls.accounts!, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it("a subgraph refuses unsigned, stale, wrongly keyed and tampered calls; the gateway's signed calls pass", async () => {
    const body = JSON.stringify({ query: '{ me { id } }' });
    const path = new URL(urls.accounts!).pathname;
    const unsigned = await post(body, {});
    expect(unsigned.statusCode).toBe(401);
    expect(await unsigned.body.json()).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }] });
    const stale = await post(body, { 'roam-signature': signRequest(SECRET, 'POST', path, body, '', Date.now() - 120_000) });
    expect(stale.statusCode).toBe(401);
    await stale.body.dump();
    const wrongKey = await post(body, { 'roam-signature': signRequest('another-secret-of-32-characters!', 'POST', path, body) });
    expect(wrongKey.statusCode).toBe(401);
    await wrongKey.body.dump();
    const tampered = await post(JSON.stringify({ query: '{ users { id } }' }), { 'roam-signature': signRequest(SECRET, 'POST', path, body) });
    expect(tampered.statusCode).toBe(401);
    await tampered.body.dump();
    const forgedClaims = await post(body, { 'roam-signature': signRequest(SECRET, 'POST', path, body), 'roam-claims': Buffer.from('{"sub":"5"}').toString('base64url') });
    expect(forgedClaims.statusCode).toBe(401); // the claims header is covered by the signature
    await forgedClaims.body.dump();
    const signed = await post(body, { 'roam-signature': signRequest(SECRET, 'POST', path, body) });
    expect(signed.statusCode).toBe(200);
    expect(await signed.body.json()).toEqual({ data: { me: { id: '1' } } });

    const viaGateway = await postGraphQL(url, { query: '{ topProducts(first: 2) { upc reviews { author { name } } } }' });
    expect(viaGateway.body.errors).toBeUndefined();
    expect(viaGateway.body.data.topProducts).toHaveLength(2);
  });

  it("a subscription's WebSocket upgrade to the subgraph is signed too; an unsigned upgrade is refused", async () => {
    const unsigned = await openRaw(urls.reviews!).catch((error: Error) => error);
    expect(unsigned).toBeInstanceOf(Error);
    expect(String(unsigned)).toMatch(/401/);
    const token = await mintToken(key, '2', { claims: { scope: 'reviews:write' } });
    const socket = await openRaw(url);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await socket.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
    socket.send({ id: 's', type: 'subscribe', payload: { query: 'subscription { reviewAdded(upc: "1") { body } }' } });
    // wait until the upstream subscription is open on the subgraph
    const deadline = Date.now() + 10_000;
    while (servers.reviews!.subscriptionCounts().active === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(servers.reviews!.subscriptionCounts().active).toBe(1);
    const added = await postGraphQL(url, { query: 'mutation { addReview(input: { authorId: "2", productUpc: "1", body: "signed" }) { id } }' }, { authorization: `Bearer ${token}` });
    expect(added.body.errors).toBeUndefined();
    const event = await socket.waitMessage((m) => m.type === 'next' && m.id === 's', 'event');
    expect(event.payload.data.reviewAdded.body).toBe('signed');
    socket.ws.close();
  });

  it('only allowlisted headers and the verified claims reach subgraphs; a client copy of roam-claims or hop-by-hop headers never does', async () => {
    seen.length = 0;
    const forged = Buffer.from('{"sub":"5"}').toString('base64url');
    const res = await postGraphQL(url, { query: '{ me { id } }' }, { 'x-tenant': 'blue', 'roam-claims': forged, 'x-secret': 'no', te: 'trailers' });
    expect(res.body.data.me.id).toBe('1'); // the forged claims did not pass
    expect(seen).toHaveLength(1);
    expect(seen[0]!['x-tenant']).toBe('blue');
    expect(seen[0]!['roam-claims']).toBeUndefined();
    expect(seen[0]!['x-secret']).toBeUndefined();
    expect(seen[0]!.te).toBeUndefined();
    expect(seen[0]!['roam-signature']).toMatch(/^t=\d+,v1=/);

    seen.length = 0;
    const verified = await postGraphQL(url, { query: '{ me { id } }' }, { authorization: `Bearer ${await mintToken(key, '3', { claims: { scope: 'a b' } })}` });
    expect(verified.body.data.me.id).toBe('3');
    expect(JSON.parse(Buffer.from(String(seen[0]!['roam-claims']), 'base64url').toString())).toMatchObject({ sub: '3', scope: 'a b' });
  });

  it('two users sending identical operations concurrently each get only their own answer; different propagated headers never share a fetch', async () => {
    const [alice, bob] = await Promise.all([mintToken(key, '3'), mintToken(key, '5')]);
    const query = { query: 'query Me { me { id name } }' };
    const rounds = await Promise.all(
      Array.from({ length: 25 }, () => Promise.all([postGraphQL(url, query, { authorization: `Bearer ${alice}` }), postGraphQL(url, query, { authorization: `Bearer ${bob}` })])),
    );
    for (const [a, b] of rounds) {
      expect(a.body.data.me.id).toBe('3');
      expect(b.body.data.me.id).toBe('5');
    }
    seen.length = 0;
    const tenants = await Promise.all(['red', 'green', 'red', 'green'].map((tenant) => postGraphQL(url, { query: '{ user(id: "2") { name } }' }, { 'x-tenant': tenant })));
    expect(tenants.every((t) => t.body.data.user.name)).toBe(true);
    const tenantsSeen = new Set(seen.map((h) => h['x-tenant']));
    expect(tenantsSeen).toEqual(new Set(['red', 'green']));
  });
});
