import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';

/** One signing key: its private half (kept by the test's "identity provider") and its public JWK. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly publicJwk: JWK;
}

/** @returns a fresh ES256 key pair named `kid`. */
export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/**
 * A faithful local stand-in for an identity provider's JWKS endpoint (RFC 7517 §5, `GET /.well-known/jwks.json`,
 * `application/json`): serves the public keys currently published, counts fetches, and can rotate keys.
 */
export interface JwksServer {
  /** `http://127.0.0.1:<port>/.well-known/jwks.json`. */
  readonly url: string;
  /** GET requests served so far. */
  fetches(): number;
  /** Replaces the published keys (key rotation). */
  publish(keys: readonly SigningKey[]): void;
  close(): Promise<void>;
}

/** Starts a {@link JwksServer} on a free loopback port publishing `keys`. */
export async function startJwksServer(keys: readonly SigningKey[]): Promise<JwksServer> {
  let published = keys;
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    publish: (next) => {
      published = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Claims and header overrides for {@link mintToken}. */
export interface TokenOptions {
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds from now; negative for an expired token. @default 300 */
  readonly expiresInSeconds?: number;
  readonly claims?: JWTPayload;
}

/** Signs a JWT with `key` (ES256, `kid` in the header): `sub` and the given claims. */
export async function mintToken(key: SigningKey, subject: string, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSeconds ?? 300));
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(key.privateKey);
}

/** An unsecured JWT (`alg: none`, RFC 7519 §6) with `sub` and the given claims: must always be refused. */
export function unsecuredToken(subject: string, claims: JWTPayload = {}): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: subject, iat: now, exp: now + 300, ...claims })}.`;
}
