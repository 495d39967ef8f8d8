import { roamError, type RoamError } from '@roam/errors';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { AuthSettings } from './securityEnv';

/**
 * The caller a verified JWT names: what the gateway trusts about the request. Set on `RequestInfo.principal`
 * for every authenticated request (HTTP and WebSocket), so plugins can scope by user: idempotency keys,
 * response caches and rate limits read `principal.subject`.
 */
export interface VerifiedPrincipal {
  /** The token's `sub` (the user). */
  readonly subject: string;
  /** The token's `iss`, when present. */
  readonly issuer: string | undefined;
  /** Scopes from `AUTH_SCOPES_CLAIM` (a space-separated string or an array of strings). */
  readonly scopes: readonly string[];
  /** When the token expires, in ms since the epoch; undefined when it has no `exp`. */
  readonly expiresAtMs: number | undefined;
  /** Client name from `AUTH_CLIENT_NAME_CLAIM` (mapped by `AUTH_CLIENT_NAMES`), when the token has one. */
  readonly clientName: string | undefined;
  /** App version from `AUTH_CLIENT_VERSION_CLAIM`, when the token has one. */
  readonly clientVersion: string | undefined;
  /** Every verified claim. */
  readonly claims: Readonly<JWTPayload>;
}

/** What {@link Authenticator.authenticate} decided: a principal, nobody (anonymous allowed), or a refusal. */
export type AuthOutcome = { readonly principal: VerifiedPrincipal | undefined } | { readonly error: RoamError };

const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer' };

/** Verified tokens kept (by exact token text) so a client's repeated requests skip the signature check. */
const VERIFIED_CACHE_SIZE = 10_000;
/** Longest time a verified token is trusted without verifying it again (a key withdrawn from the JWKS takes effect within it), in ms. */
const VERIFIED_CACHE_TTL_MS = 60_000;

/**
 * Verifies JWT bearer tokens (RFC 7519, RFC 6750) with `jose`: signature with a key from the JWKS
 * (`AUTH_JWKS_URL`, cached `AUTH_JWKS_CACHE_MS` and refetched when a token names an unknown `kid`, at most once
 * per `AUTH_JWKS_COOLDOWN_MS`, as Apollo Router's JWKS poller and jose's `createRemoteJWKSet` do) or from
 * `AUTH_JWKS`; `alg` from `AUTH_ALGORITHMS` only (so `none` and HMAC key confusion are refused); `iss`, `aud`,
 * `exp`, `nbf` with `AUTH_CLOCK_SKEW_SECONDS` of tolerance; `sub` required.
 *
 * A verified token is remembered (by its exact text, at most 60 s and never past its `exp`), so an app's
 * repeated requests with one token pay for one signature check.
 *
 * Refusals carry a stable code and a coarse reason (`MISSING`, `EXPIRED`, `INVALID`), never which check failed.
 */
export class Authenticator {
  private readonly keys: JWTVerifyGetKey;
  private readonly verified = new LRUCache<string, VerifiedPrincipal>({ max: VERIFIED_CACHE_SIZE, ttl: VERIFIED_CACHE_TTL_MS, ttlAutopurge: false });

  /**
   * @param settings - the authentication settings.
   * @param logger - verification failures are logged at debug level (the reason in detail, never the token).
   * @throws Error when `mode` is not `off` and no key source is configured.
   */
  constructor(
    readonly settings: AuthSettings,
    private readonly logger: Logger,
  ) {
    const remote = settings.jwksUrl
      ? createRemoteJWKSet(new URL(settings.jwksUrl), { cacheMaxAge: settings.jwksCacheMs, cooldownDuration: settings.jwksCooldownMs, timeoutDuration: settings.jwksTimeoutMs })
      : undefined;
    const local = settings.jwks ? createLocalJWKSet(settings.jwks as unknown as Parameters<typeof createLocalJWKSet>[0]) : undefined;
    if (settings.mode !== 'off' && !remote && !local) throw new Error('authentication needs AUTH_JWKS_URL or AUTH_JWKS');
    this.keys = async (header, token) => {
      if (local) {
        try {
          return await local(header, token);
        } catch (error) {
          if (!remote || !(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
        }
      }
      return remote!(header, token);
    };
  }

  /** Whether tokens are read at all (`AUTH_MODE` is not `off`). */
  get enabled(): boolean {
    return this.settings.mode !== 'off';
  }

  /**
   * Authenticates one request from its `Authorization` value (HTTP header, or the `connection_init` payload's).
   *
   * @param authorization - `Bearer <token>`, or undefined when none was sent.
   * @returns the principal; `{ principal: undefined }` when no token was sent and the mode allows it (or auth is off);
   *   or a refusal: 401 `UNAUTHENTICATED` (`WWW-Authenticate: Bearer`), 503 `AUTHENTICATION_UNAVAILABLE` when the
   *   JWKS could not be fetched. Never throws.
   */
  async authenticate(authorization: string | undefined): Promise<AuthOutcome> {
    if (this.settings.mode === 'off') return { principal: undefined };
    if (authorization === undefined || authorization === '') {
      return this.settings.mode === 'required' ? { error: unauthenticated('MISSING') } : { principal: undefined };
    }
    const match = /^Bearer +([A-Za-z0-9_\-.~+/]+=*)$/i.exec(authorization.trim());
    if (!match) return { error: unauthenticated('INVALID') };
    return this.verify(match[1]!);
  }

  /**
   * Verifies one compact JWS token.
   * @returns the principal or a refusal, as {@link authenticate}.
   */
  async verify(token: string): Promise<AuthOutcome> {
    const s = this.settings;
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAtMs === undefined || Date.now() < known.expiresAtMs + s.clockSkewSeconds * 1000) return { principal: known };
      this.verified.delete(token);
      return { error: unauthenticated('EXPIRED') };
    }
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: [...s.algorithms],
        clockTolerance: s.clockSkewSeconds,
        ...(s.issuer ? { issuer: s.issuer } : {}),
        ...(s.audience ? { audience: s.audience } : {}),
        requiredClaims: ['sub'],
      });
      const principal = this.principalOf(payload);
      this.verified.set(token, principal);
      return { principal };
    } catch (error) {
      // anything jose did not raise itself is the JWKS fetch failing (refused, reset; not `instanceof Error`: other realms)
      if (error instanceof joseErrors.JWKSTimeout || (!(error instanceof joseErrors.JOSEError) && s.jwksUrl)) {
        this.logger.warn({ reason: String((error as { message?: unknown } | undefined)?.message ?? error) }, 'JWKS could not be fetched');
        return { error: roamError('AUTHENTICATION_UNAVAILABLE', 'The signing keys are unavailable; retry shortly.', {}, { headers: { 'retry-after': '1' } }) };
      }
      if (error instanceof joseErrors.JWKSInvalid) {
        this.logger.warn({ reason: error.message }, 'JWKS is not a valid key set');
        return { error: roamError('AUTHENTICATION_UNAVAILABLE', 'The signing keys are unavailable; retry shortly.', {}, { headers: { 'retry-after': '1' } }) };
      }
      const expired = error instanceof joseErrors.JWTExpired;
      this.logger.debug({ reason: (error as Error).message, code: (error as { code?: string }).code }, 'token refused');
      return { error: unauthenticated(expired ? 'EXPIRED' : 'INVALID') };
    }
  }

  private principalOf(payload: JWTPayload): VerifiedPrincipal {
    const s = this.settings;
    const rawScopes = payload[s.scopesClaim];
    const scopes = typeof rawScopes === 'string' ? rawScopes.split(' ').filter((x) => x.length > 0) : Array.isArray(rawScopes) ? rawScopes.filter((x): x is string => typeof x === 'string') : [];
    const rawName = payload[s.clientNameClaim];
    const name = typeof rawName === 'string' && rawName.length > 0 && rawName.length <= 256 ? rawName : undefined;
    const rawVersion = payload[s.clientVersionClaim];
    return Object.freeze({
      subject: payload.sub!,
      issuer: payload.iss,
      scopes: Object.freeze(scopes),
      expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
      clientName: name === undefined ? undefined : (s.clientNames[name] ?? name),
      clientVersion: typeof rawVersion === 'string' && rawVersion.length <= 64 ? rawVersion : undefined,
      claims: Object.freeze(payload),
    });
  }
}

function unauthenticated(reason: 'MISSING' | 'EXPIRED' | 'INVALID'): RoamError {
  const message = reason === 'MISSING' ? 'Authentication required: send a bearer token.' : reason === 'EXPIRED' ? 'The token has expired.' : 'The token is not valid.';
  return roamError('UNAUTHENTICATED', message, { reason }, { headers: WWW_AUTHENTICATE });
}
