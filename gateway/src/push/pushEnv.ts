import { createPrivateKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The zod shape of the push bridge's environment variables (README "Push bridge"), spread into the gateway's
 * `config.ts` schema. Values are strings as in `process.env`; unset means the default.
 */
export const PUSH_ENV_SHAPE = {
  /** `on` serves `/push/registrations` and runs the bridge; `off` (default) registers no route. */
  PUSH: z.enum(['on', 'off']).default('off'),
  /** Redis key prefix of registrations (hash-tagged in one slot); Redis itself is `REDIS_URL` (unset: in memory). */
  PUSH_KEY_PREFIX: z.string().min(1).default('roam:push:'),
  PUSH_APNS_URL: z.url().default('https://api.push.apple.com'),
  /** PEM of the APNs auth key (`AuthKey_<kid>.p8`, PKCS#8 P-256); `\n` escapes are accepted. */
  PUSH_APNS_KEY: z.string().min(1).optional(),
  PUSH_APNS_KEY_ID: z.string().min(1).optional(),
  PUSH_APNS_TEAM_ID: z.string().min(1).optional(),
  /** `apns-topic`: the app's bundle id. */
  PUSH_APNS_TOPIC: z.string().min(1).optional(),
  /** PEM of extra CA certificates trusted for the APNs connection (a private CA, tests). */
  PUSH_APNS_CA: z.string().min(1).optional(),
  PUSH_FCM_URL: z.url().default('https://fcm.googleapis.com'),
  /** The Firebase service account JSON (`project_id`, `client_email`, `private_key`, optional `token_uri`). */
  PUSH_FCM_SERVICE_ACCOUNT: z.string().min(1).optional(),
  /** OAuth 2.0 token endpoint; @default the service account's `token_uri`, else Google's. */
  PUSH_FCM_TOKEN_URL: z.url().optional(),
  PUSH_RATE_LIMIT_PER_DEVICE: int(1, 1_000_000).default(30),
  PUSH_RATE_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(60),
  PUSH_MAX_RETRIES: int(0, 10).default(3),
  PUSH_RETRY_BASE_MS: int(1, 60_000).default(500),
  PUSH_MAX_RETRY_AFTER_MS: int(0, 3_600_000).default(60_000),
  PUSH_INLINE_EVENT_MAX_BYTES: int(0, 3_500).default(2_048),
  PUSH_SEND_TIMEOUT_MS: int(100, 120_000).default(10_000),
  PUSH_LEASE_MS: int(300, 600_000).default(15_000),
  PUSH_MAX_REGISTRATIONS_PER_TOKEN: int(1, 100_000).default(20),
  PUSH_MAX_REGISTRATIONS_PER_SUBJECT: int(1, 1_000_000).default(100),
};

/** The parsed values of {@link PUSH_ENV_SHAPE}. */
export type PushEnv = z.output<z.ZodObject<typeof PUSH_ENV_SHAPE>>;

/** APNs provider settings (token-based authentication). */
export interface ApnsSettings {
  /** Base URL of the APNs provider API. `PUSH_APNS_URL`; @default "https://api.push.apple.com" */
  readonly url: string;
  /** PKCS#8 PEM of the ES256 auth key. `PUSH_APNS_KEY` */
  readonly keyPem: string;
  /** Key id (JWT header `kid`). `PUSH_APNS_KEY_ID` */
  readonly keyId: string;
  /** Team id (JWT claim `iss`). `PUSH_APNS_TEAM_ID` */
  readonly teamId: string;
  /** `apns-topic` (bundle id). `PUSH_APNS_TOPIC` */
  readonly topic: string;
  /** Extra trusted CA PEM. `PUSH_APNS_CA`; @default undefined (system CAs) */
  readonly caPem: string | undefined;
}

/** The fields Roam reads from a Google service account JSON key. */
export interface FcmServiceAccount {
  readonly projectId: string;
  readonly clientEmail: string;
  /** PKCS#8 PEM of the RS256 key. */
  readonly privateKeyPem: string;
}

/** FCM HTTP v1 settings. */
export interface FcmSettings {
  /** Base URL of the FCM API. `PUSH_FCM_URL`; @default "https://fcm.googleapis.com" */
  readonly url: string;
  /** OAuth 2.0 token endpoint. `PUSH_FCM_TOKEN_URL`; @default the service account's `token_uri` */
  readonly tokenUrl: string;
  readonly account: FcmServiceAccount;
}

/** Push bridge settings (README "Push bridge"). */
export interface PushSettings {
  /** `PUSH`; @default false */
  readonly enabled: boolean;
  /** `PUSH_KEY_PREFIX`; @default "roam:push:" */
  readonly keyPrefix: string;
  /** APNs, when `PUSH_APNS_KEY`, `_KEY_ID`, `_TEAM_ID` and `_TOPIC` are all set. */
  readonly apns: ApnsSettings | undefined;
  /** FCM, when `PUSH_FCM_SERVICE_ACCOUNT` is set. */
  readonly fcm: FcmSettings | undefined;
  /** Most pushes to one device per window. `PUSH_RATE_LIMIT_PER_DEVICE`; @default 30 */
  readonly ratePerDevice: number;
  /** The rate-limit window, in seconds. `PUSH_RATE_LIMIT_WINDOW_SECONDS`; @default 60 */
  readonly rateWindowSeconds: number;
  /** Retries of one push after 429/5xx/network failure. `PUSH_MAX_RETRIES`; @default 3 */
  readonly maxRetries: number;
  /** First backoff when no `Retry-After` came, in ms (doubled per retry, with jitter). `PUSH_RETRY_BASE_MS`; @default 500 */
  readonly retryBaseMs: number;
  /** Longest `Retry-After` honoured, in ms; longer gives up on that push. `PUSH_MAX_RETRY_AFTER_MS`; @default 60000 */
  readonly maxRetryAfterMs: number;
  /** An event whose JSON is at most this many bytes travels inside the push; larger ones send only what to refetch. `PUSH_INLINE_EVENT_MAX_BYTES`; @default 2048 */
  readonly inlineEventMaxBytes: number;
  /** Deadline of one send (APNs stream, FCM request, token request), in ms. `PUSH_SEND_TIMEOUT_MS`; @default 10000 */
  readonly sendTimeoutMs: number;
  /** Lease on running one server-side subscription, in ms (one replica runs each; renewed every third of it; a dead holder's subscriptions move within about 1⅓ of it). `PUSH_LEASE_MS`; @default 15000 */
  readonly leaseMs: number;
  /** Most registrations of one device token (platform + token); one more is refused with `PUSH_REGISTRATION_LIMIT`. `PUSH_MAX_REGISTRATIONS_PER_TOKEN`; @default 20 */
  readonly maxPerToken: number;
  /** Most registrations of one verified caller (`iss` + `sub`, with `AUTH_MODE` on); one more is refused with `PUSH_REGISTRATION_LIMIT`. `PUSH_MAX_REGISTRATIONS_PER_SUBJECT`; @default 100 */
  readonly maxPerSubject: number;
}

/** The `PUSH_APNS_*` variables that must be set together. */
const APNS_REQUIRED = ['PUSH_APNS_KEY', 'PUSH_APNS_KEY_ID', 'PUSH_APNS_TEAM_ID', 'PUSH_APNS_TOPIC'] as const;

const SERVICE_ACCOUNT = z.object({
  project_id: z.string().min(1),
  client_email: z.string().min(1),
  private_key: z.string().includes('PRIVATE KEY'),
  token_uri: z.url().optional(),
});

/** `\n` written as two characters in an env file → a newline. */
const pem = (text: string): string => text.replace(/\\n/g, '\n');

/**
 * Checks at start that a private key PEM is usable for its signature algorithm, so a wrong key stops the gateway
 * with the variable named instead of failing every push later. The key itself is never echoed.
 * @throws Error naming `variable` when the PEM does not parse or is not `expected` (`ec` P-256 for APNs ES256, `rsa` for FCM RS256).
 */
function checkPrivateKey(variable: string, text: string, expected: 'ec' | 'rsa'): void {
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new Error(`${variable}: not a PEM private key (PKCS#8, "-----BEGIN PRIVATE KEY-----"; \\n escapes accepted)`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== expected || (expected === 'ec' && curve !== 'prime256v1')) {
    throw new Error(`${variable}: expected ${expected === 'ec' ? 'an EC P-256 key (the APNs .p8 auth key, ES256)' : 'an RSA key (RS256)'}, got ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''}`);
  }
}

/**
 * @param env - the parsed values of {@link PUSH_ENV_SHAPE}.
 * @returns the frozen settings.
 * @throws Error naming the variable when only some `PUSH_APNS_*` are set, the APNs key is not an EC P-256 private key,
 *   or the service account JSON is not one (its `private_key` an RSA private key).
 */
export function pushSettingsFromEnv(env: PushEnv): PushSettings {
  const setApns = APNS_REQUIRED.filter((name) => env[name] !== undefined);
  if (setApns.length > 0 && setApns.length < APNS_REQUIRED.length) {
    throw new Error(`PUSH_APNS_*: ${APNS_REQUIRED.filter((n) => env[n] === undefined).join(', ')} must be set too (APNs needs a key, key id, team id and topic)`);
  }
  if (setApns.length === APNS_REQUIRED.length) checkPrivateKey('PUSH_APNS_KEY', pem(env.PUSH_APNS_KEY!), 'ec');
  const apns: ApnsSettings | undefined =
    setApns.length === APNS_REQUIRED.length
      ? Object.freeze({
          url: env.PUSH_APNS_URL,
          keyPem: pem(env.PUSH_APNS_KEY!),
          keyId: env.PUSH_APNS_KEY_ID!,
          teamId: env.PUSH_APNS_TEAM_ID!,
          topic: env.PUSH_APNS_TOPIC!,
          caPem: env.PUSH_APNS_CA ? pem(env.PUSH_APNS_CA) : undefined,
        })
      : undefined;
  let fcm: FcmSettings | undefined;
  if (env.PUSH_FCM_SERVICE_ACCOUNT !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(env.PUSH_FCM_SERVICE_ACCOUNT);
    } catch {
      throw new Error('PUSH_FCM_SERVICE_ACCOUNT: expected the service account JSON key ({"project_id":…,"client_email":…,"private_key":…})');
    }
    const parsed = SERVICE_ACCOUNT.safeParse(json);
    if (!parsed.success) throw new Error(`PUSH_FCM_SERVICE_ACCOUNT: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const account = parsed.data;
    checkPrivateKey('PUSH_FCM_SERVICE_ACCOUNT: private_key', pem(account.private_key), 'rsa');
    fcm = Object.freeze({
      url: env.PUSH_FCM_URL,
      tokenUrl: env.PUSH_FCM_TOKEN_URL ?? account.token_uri ?? 'https://oauth2.googleapis.com/token',
      account: Object.freeze({ projectId: account.project_id, clientEmail: account.client_email, privateKeyPem: pem(account.private_key) }),
    });
  }
  return Object.freeze({
    enabled: env.PUSH === 'on',
    keyPrefix: env.PUSH_KEY_PREFIX,
    apns,
    fcm,
    ratePerDevice: env.PUSH_RATE_LIMIT_PER_DEVICE,
    rateWindowSeconds: env.PUSH_RATE_LIMIT_WINDOW_SECONDS,
    maxRetries: env.PUSH_MAX_RETRIES,
    retryBaseMs: env.PUSH_RETRY_BASE_MS,
    maxRetryAfterMs: env.PUSH_MAX_RETRY_AFTER_MS,
    inlineEventMaxBytes: env.PUSH_INLINE_EVENT_MAX_BYTES,
    sendTimeoutMs: env.PUSH_SEND_TIMEOUT_MS,
    leaseMs: env.PUSH_LEASE_MS,
    maxPerToken: env.PUSH_MAX_REGISTRATIONS_PER_TOKEN,
    maxPerSubject: env.PUSH_MAX_REGISTRATIONS_PER_SUBJECT,
  });
}
