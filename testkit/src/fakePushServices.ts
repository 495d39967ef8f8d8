import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scripted answer of a fake push service (by device token, consumed in order; then 200). */
export interface ScriptedAnswer {
  readonly status: number;
  /** APNs `reason` / FCM `errorCode`. */
  readonly reason?: string;
  /** `Retry-After` header value, in seconds. */
  readonly retryAfterSeconds?: number;
}

/** One request a fake received. */
export interface ReceivedPush {
  /** Epoch ms at receipt. */
  readonly at: number;
  readonly token: string;
  readonly headers: Record<string, string>;
  readonly body: any;
  /** The status the fake answered. */
  readonly status: number;
}

/** A CA and a server certificate for 127.0.0.1/localhost made with the openssl CLI, for one test run. */
export interface TestTls {
  readonly caPem: string;
  readonly keyPem: string;
  readonly certPem: string;
}

/** Makes a throw-away CA (P-256) and a server certificate it signed, valid for `127.0.0.1` and `localhost`. @throws when `openssl` is missing. */
export function makeTestTls(): TestTls {
  const dir = mkdtempSync(join(tmpdir(), 'roam-push-tls-'));
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Roam test CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return { caPem: read('ca.crt'), keyPem: read('server.key'), certPem: read('server.crt') };
}

/** Verifies a compact JWS with `node:crypto` (ES256: IEEE P1363 signature; RS256). @returns the payload, or undefined. */
function verifyJwt(jwt: string, key: KeyObject, alg: 'ES256' | 'RS256'): { header: any; payload: any } | undefined {
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return undefined;
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(s, 'base64url'));
  if (!ok) return undefined;
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

/** A fake APNs provider API: HTTP/2 over TLS, checks the ES256 provider token and the push headers, records each push. */
export interface FakeApns {
  readonly url: string;
  readonly received: ReceivedPush[];
  /** PKCS#8 PEM of the auth key the gateway signs with (the fake holds its public half). */
  readonly keyPem: string;
  readonly keyId: string;
  readonly teamId: string;
  readonly topic: string;
  readonly caPem: string;
  script(token: string, ...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

/** Starts a {@link FakeApns} on a free loopback port. */
export async function startFakeApns(tls: TestTls): Promise<FakeApns> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = createPublicKey(privateKey);
  const keyId = 'KEY1234567';
  const teamId = 'TEAM123456';
  const topic = 'com.example.roam';
  const received: ReceivedPush[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  const verified = new Map<string, { header: any; payload: any }>();
  const server: Http2SecureServer = createSecureServer({ key: tls.keyPem, cert: tls.certPem });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers: IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const path = String(headers[':path']);
      const token = path.replace(/^\/3\/device\//, '');
      const answer = (status: number, reason?: string, extra: Record<string, string> = {}): void => {
        const flat = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        received.push({ at: Date.now(), token, headers: flat, body, status });
        stream.respond({ ':status': status, 'apns-id': `id-${received.length}`, ...extra });
        stream.end(reason ? JSON.stringify({ reason }) : undefined);
      };
      const auth = String(headers.authorization ?? '');
      // a provider token is verified once, then remembered (as APNs does per connection), so the fake is not the bottleneck of a bench
      const jwt = auth.startsWith('bearer ') ? (verified.get(auth) ?? verifyJwt(auth.slice(7), publicKey, 'ES256')) : undefined;
      if (jwt && verified.size < 100) verified.set(auth, jwt);
      if (!jwt || jwt.header.alg !== 'ES256' || jwt.header.kid !== keyId || jwt.payload.iss !== teamId || typeof jwt.payload.iat !== 'number') return answer(403, 'InvalidProviderToken');
      if (headers[':method'] !== 'POST' || !path.startsWith('/3/device/')) return answer(405, 'MethodNotAllowed');
      if (headers['apns-topic'] !== topic) return answer(400, 'TopicDisallowed');
      if (headers['apns-push-type'] !== 'background' || headers['apns-priority'] !== '5') return answer(400, 'InvalidPushType');
      if (Buffer.concat(chunks).length > 4096) return answer(413, 'PayloadTooLarge');
      const scripted = scripts.get(token)?.shift();
      if (scripted) return answer(scripted.status, scripted.reason, scripted.retryAfterSeconds !== undefined ? { 'retry-after': String(scripted.retryAfterSeconds) } : {});
      return answer(200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    received,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyId,
    teamId,
    topic,
    caPem: tls.caPem,
    script: (token, ...answers) => scripts.set(token, [...(scripts.get(token) ?? []), ...answers]),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // sessions the gateway still holds would keep close() waiting
        for (const session of sessions) session.destroy();
      }),
  };
}

/** A fake FCM: an OAuth 2.0 token endpoint (JWT-bearer grant, RS256 assertion checked) and `messages:send`. */
export interface FakeFcm {
  /** Base URL (`PUSH_FCM_URL`). */
  readonly url: string;
  /** Token endpoint (`token_uri`). */
  readonly tokenUrl: string;
  /** The service account JSON the gateway is given. */
  readonly serviceAccount: string;
  readonly projectId: string;
  readonly received: ReceivedPush[];
  /** Token requests answered. */
  readonly tokenRequests: number;
  script(token: string, ...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

/** Starts a {@link FakeFcm} on a free loopback port. */
export async function startFakeFcm(): Promise<FakeFcm> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const projectId = 'roam-test';
  const clientEmail = 'push@roam-test.iam.gserviceaccount.com';
  const received: ReceivedPush[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  const issued = new Set<string>();
  let tokenRequests = 0;
  let base = '';
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && req.url === '/token') {
        const form = new URLSearchParams(text);
        const jwt = verifyJwt(form.get('assertion') ?? '', publicKey, 'RS256');
        if (
          form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' ||
          !jwt ||
          jwt.payload.iss !== clientEmail ||
          jwt.payload.aud !== `${base}/token` ||
          !String(jwt.payload.scope).includes('firebase.messaging')
        ) {
          return json(400, { error: 'invalid_grant' });
        }
        tokenRequests++;
        const token = `ya29.fake-${tokenRequests}`;
        issued.add(token);
        return json(200, { access_token: token, expires_in: 3600, token_type: 'Bearer' });
      }
      if (req.method === 'POST' && req.url === `/v1/projects/${projectId}/messages:send`) {
        const auth = String(req.headers.authorization ?? '');
        if (!issued.has(auth.replace(/^Bearer /, ''))) return json(401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
        const body = JSON.parse(text) as { message: { token: string } };
        const token = body.message.token;
        const scripted = scripts.get(token)?.shift();
        const status = scripted?.status ?? 200;
        received.push({ at: Date.now(), token, headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body, status });
        if (!scripted) return json(200, { name: `projects/${projectId}/messages/${received.length}` });
        const headers: Record<string, string> = scripted.retryAfterSeconds !== undefined ? { 'retry-after': String(scripted.retryAfterSeconds) } : {};
        return json(
          scripted.status,
          { error: { code: scripted.status, status: scripted.reason, details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: scripted.reason }] } },
          headers,
        );
      }
      json(404, { error: { code: 404, status: 'NOT_FOUND', message: 'no such route' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    tokenUrl: `${base}/token`,
    projectId,
    serviceAccount: JSON.stringify({
      type: 'service_account',
      project_id: projectId,
      client_email: clientEmail,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      token_uri: `${base}/token`,
    }),
    received,
    get tokenRequests() {
      return tokenRequests;
    },
    script: (token, ...answers) => scripts.set(token, [...(scripts.get(token) ?? []), ...answers]),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
