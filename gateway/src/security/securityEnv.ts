import { z } from 'zod';
import { clientAddressResolver } from './clientAddress';
import type { RateLimitSettings } from './rateLimitsPlugin';

const list = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(z.array(z.string()));

const jsonObject = (example: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a JSON object like ${example}` });
      return z.NEVER;
    }
  });

/** Headers never copied from a client to a subgraph, whatever `SUBGRAPH_PROPAGATE_HEADERS` says: hop-by-hop (RFC 9110 §7.6.1) and Roam's internal ones. */
export const NEVER_PROPAGATED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'accept-encoding',
  'expect',
]);

/** Prefix of every header the gateway itself sets on subgraph calls (verified claims, signatures): a client's copy is never forwarded. */
export const INTERNAL_HEADER_PREFIX = 'roam-';

/**
 * The zod shape of the security settings (README "Security"), spread into `config.ts`'s schema. Each is
 * described with its default in {@link SecuritySettings}.
 */
export const SECURITY_ENV_SHAPE = {
  AUTH_MODE: z.enum(['off', 'optional', 'required']).default('off'),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_JWKS: jsonObject('{"keys":[{"kty":"EC","crv":"P-256","x":"…","y":"…","kid":"k1"}]}')
    .pipe(z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }))
    .optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_ALGORITHMS: list.default(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']).pipe(z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1)),
  AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(30),
  AUTH_JWKS_CACHE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
  AUTH_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  AUTH_JWKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  AUTH_SCOPES_CLAIM: z.string().min(1).default('scope'),
  AUTH_CLIENT_NAME_CLAIM: z.string().min(1).default('client_name'),
  AUTH_CLIENT_VERSION_CLAIM: z.string().min(1).default('client_version'),
  AUTH_CLIENT_NAMES: jsonObject('{"ios-app-client-id":"ios"}')
    .pipe(z.record(z.string(), z.string().min(1)))
    .default({}),
  AUTHORIZATION_UNAUTHORIZED: z.enum(['filter', 'reject']).default('filter'),
  SUBGRAPH_PROPAGATE_HEADERS: list.default([]),
  SUBGRAPH_SIGNING_SECRETS: jsonObject('{"*":"a long random secret","accounts":"another one"}')
    .pipe(z.record(z.string().min(1), z.string().min(16, 'each secret must have at least 16 characters')))
    .default({}),
  INTROSPECTION: z.enum(['on', 'off']).optional(),
  SUBGRAPH_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(2 ** 31)
    .default(16 * 1024 * 1024),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  RATE_LIMIT_USER_REQUESTS: z.coerce.number().int().min(0).default(0),
  RATE_LIMIT_CLIENT_REQUESTS: z.coerce.number().int().min(0).default(0),
  RATE_LIMIT_USER_COST: z.coerce.number().int().min(0).default(0),
  RATE_LIMIT_CLIENT_COST: z.coerce.number().int().min(0).default(0),
  RATE_LIMIT_IP_REQUESTS: z.coerce.number().int().min(0).default(0),
  RATE_LIMIT_TRUSTED_PROXIES: list.default([]),
  RATE_LIMIT_KEY_PREFIX: z.string().min(1).default('roam:'),
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(100),
  NODE_ENV: z.string().optional(),
};

/** The parsed values of {@link SECURITY_ENV_SHAPE}. */
export type SecurityEnv = z.output<z.ZodObject<typeof SECURITY_ENV_SHAPE>>;

/** How callers are authenticated (README "Security"). */
export interface AuthSettings {
  /** `off`: no token is read, nobody is authenticated; `optional`: a token is verified when sent; `required`: every request needs a valid token. `AUTH_MODE`; @default "off" */
  readonly mode: 'off' | 'optional' | 'required';
  /** JWKS endpoint the verification keys come from (cached, refetched on an unknown `kid`). `AUTH_JWKS_URL`; @default undefined */
  readonly jwksUrl: string | undefined;
  /** Configured keys instead of (or besides) a URL: a JWKS document. `AUTH_JWKS`; @default undefined */
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] } | undefined;
  /** Required `iss`. `AUTH_ISSUER`; @default undefined (not checked) */
  readonly issuer: string | undefined;
  /** Required `aud` (one of). `AUTH_AUDIENCE`; @default undefined (not checked) */
  readonly audience: string | undefined;
  /** Accepted `alg` values (never `none`, never HMAC). `AUTH_ALGORITHMS`; @default RS256,PS256,ES256,ES384,EdDSA */
  readonly algorithms: readonly string[];
  /** Tolerance for `exp`/`nbf`/`iat`, in seconds. `AUTH_CLOCK_SKEW_SECONDS`; @default 30 */
  readonly clockSkewSeconds: number;
  /** How long fetched keys are used before a refetch, in ms. `AUTH_JWKS_CACHE_MS`; @default 600000 */
  readonly jwksCacheMs: number;
  /** Least time between two JWKS fetches (an unknown `kid` refetches at most this often), in ms. `AUTH_JWKS_COOLDOWN_MS`; @default 30000 */
  readonly jwksCooldownMs: number;
  /** Deadline of one JWKS fetch, in ms. `AUTH_JWKS_TIMEOUT_MS`; @default 2000 */
  readonly jwksTimeoutMs: number;
  /** Claim holding the scopes (a space-separated string or an array). `AUTH_SCOPES_CLAIM`; @default "scope" */
  readonly scopesClaim: string;
  /** Claim naming the client app (for limits, safelists, metrics, gating). `AUTH_CLIENT_NAME_CLAIM`; @default "client_name" */
  readonly clientNameClaim: string;
  /** Claim holding the app version. `AUTH_CLIENT_VERSION_CLAIM`; @default "client_version" */
  readonly clientVersionClaim: string;
  /** Maps a client-name claim value (e.g. an OAuth client id) to the client name used by the gateway. `AUTH_CLIENT_NAMES`; @default {} */
  readonly clientNames: Readonly<Record<string, string>>;
}

/** Every security setting. */
export interface SecuritySettings {
  readonly auth: AuthSettings;
  /** `filter`: unauthorized fields are removed and reported (Apollo Router's default); `reject`: the whole operation is refused. `AUTHORIZATION_UNAUTHORIZED`; @default "filter" */
  readonly unauthorized: 'filter' | 'reject';
  /** Client request headers copied to every subgraph call (lower-case names; hop-by-hop and `roam-*` never). `SUBGRAPH_PROPAGATE_HEADERS` (comma list); @default none */
  readonly propagateHeaders: readonly string[];
  /** Secret per subgraph name (`"*"`: every other) to sign subgraph calls with. `SUBGRAPH_SIGNING_SECRETS` (JSON); @default {} (unsigned) */
  readonly signingSecrets: Readonly<Record<string, string>>;
  /** Largest subgraph reply the gateway reads, in bytes; past it the fetch fails ("response too large") without parsing. `SUBGRAPH_MAX_RESPONSE_BYTES`; @default 16777216 */
  readonly maxSubgraphResponseBytes: number;
  /** Rate limits per user, client and anonymous IP (`RATE_LIMIT_*`, counted in `REDIS_URL`'s Redis when set). */
  readonly rateLimits: RateLimitSettings;
  /** Proxies whose `X-Forwarded-For` tells the client address (addresses, CIDR ranges, `loopback`/`linklocal`/`uniquelocal`). `RATE_LIMIT_TRUSTED_PROXIES` (comma list); @default none (the TCP peer is the client) */
  readonly trustedProxies: readonly string[];
  /** Whether `__schema`/`__type` are answered. `INTROSPECTION` (`on`/`off`); @default "off" when `NODE_ENV=production`, else "on" */
  readonly introspection: boolean;
}

/**
 * @param env - the parsed values of {@link SECURITY_ENV_SHAPE}.
 * @param redisUrl - `REDIS_URL`, where rate-limit counters are shared (memory when undefined).
 * @returns the frozen settings.
 * @throws Error when `AUTH_MODE` is not `off` and neither `AUTH_JWKS_URL` nor `AUTH_JWKS` is set, or a propagated header is one that is never propagated
 *   or not a header name (RFC 9110 token).
 */
export function securitySettingsFromEnv(env: SecurityEnv, redisUrl?: string): SecuritySettings {
  if (env.AUTH_MODE !== 'off' && !env.AUTH_JWKS_URL && !env.AUTH_JWKS) throw new Error(`AUTH_MODE=${env.AUTH_MODE} needs AUTH_JWKS_URL or AUTH_JWKS`);
  const propagate = env.SUBGRAPH_PROPAGATE_HEADERS.map((h) => h.toLowerCase());
  const bad = propagate.filter((h) => NEVER_PROPAGATED.has(h) || h.startsWith(INTERNAL_HEADER_PREFIX));
  if (bad.length > 0) throw new Error(`SUBGRAPH_PROPAGATE_HEADERS may not name hop-by-hop, framing or roam-* headers: ${bad.join(', ')}`);
  // a name no client can send (a space, a colon: RFC 9110 §5.1 token) would silently propagate nothing
  const notNames = propagate.filter((h) => !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(h));
  if (notNames.length > 0) throw new Error(`SUBGRAPH_PROPAGATE_HEADERS names something that is not a header name: ${notNames.map((h) => JSON.stringify(h)).join(', ')}`);
  return Object.freeze({
    auth: Object.freeze({
      mode: env.AUTH_MODE,
      jwksUrl: env.AUTH_JWKS_URL,
      jwks: env.AUTH_JWKS,
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      algorithms: Object.freeze([...env.AUTH_ALGORITHMS]),
      clockSkewSeconds: env.AUTH_CLOCK_SKEW_SECONDS,
      jwksCacheMs: env.AUTH_JWKS_CACHE_MS,
      jwksCooldownMs: env.AUTH_JWKS_COOLDOWN_MS,
      jwksTimeoutMs: env.AUTH_JWKS_TIMEOUT_MS,
      scopesClaim: env.AUTH_SCOPES_CLAIM,
      clientNameClaim: env.AUTH_CLIENT_NAME_CLAIM,
      clientVersionClaim: env.AUTH_CLIENT_VERSION_CLAIM,
      clientNames: Object.freeze({ ...env.AUTH_CLIENT_NAMES }),
    }),
    unauthorized: env.AUTHORIZATION_UNAUTHORIZED,
    propagateHeaders: Object.freeze(propagate),
    signingSecrets: Object.freeze({ ...env.SUBGRAPH_SIGNING_SECRETS }),
    maxSubgraphResponseBytes: env.SUBGRAPH_MAX_RESPONSE_BYTES,
    rateLimits: Object.freeze({
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      userRequests: env.RATE_LIMIT_USER_REQUESTS,
      clientRequests: env.RATE_LIMIT_CLIENT_REQUESTS,
      userCost: env.RATE_LIMIT_USER_COST,
      clientCost: env.RATE_LIMIT_CLIENT_COST,
      ipRequests: env.RATE_LIMIT_IP_REQUESTS,
      redisUrl,
      keyPrefix: env.RATE_LIMIT_KEY_PREFIX,
      redisTimeoutMs: env.RATE_LIMIT_REDIS_TIMEOUT_MS,
    }),
    trustedProxies: Object.freeze(trustedProxiesOf(env.RATE_LIMIT_TRUSTED_PROXIES)),
    introspection: env.INTROSPECTION ? env.INTROSPECTION === 'on' : env.NODE_ENV !== 'production',
  });
}

/** @returns `RATE_LIMIT_TRUSTED_PROXIES` checked; @throws Error naming the entry that is not an address, range or known name. */
function trustedProxiesOf(entries: readonly string[]): string[] {
  for (const entry of entries) {
    try {
      clientAddressResolver([entry]);
    } catch {
      throw new Error(`RATE_LIMIT_TRUSTED_PROXIES: "${entry.slice(0, 64)}" is not an IP address, a CIDR range, loopback, linklocal or uniquelocal`);
    }
  }
  return [...entries];
}
