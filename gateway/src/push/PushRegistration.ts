import { createHash } from 'node:crypto';
import { roamError, type RoamError } from '@roam/errors';
import { z } from 'zod';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../pipeline/jsonDepthExceeds';

/** Push services the bridge sends to. */
export type PushPlatform = 'apns' | 'fcm';

/** Whether the app says it is in the foreground (a live socket is enough) or backgrounded (push even when connected). */
export type AppState = 'foreground' | 'background';

/** One device's interest in one persisted subscription, as stored. */
export interface PushRegistration {
  /** Stable id: SHA-256 (hex, 32 chars) of platform, token and subscription key; registering again returns it. */
  readonly id: string;
  readonly platform: PushPlatform;
  /** The device token (APNs: hex; FCM: the registration token). */
  readonly token: string;
  /** The persisted document id of a subscription operation. */
  readonly documentId: string;
  readonly operationName: string | undefined;
  /** Variables as sent (coerced by the pipeline when the subscription starts). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** `apollographql-client-name` the safelist scope is checked with. */
  readonly clientName: string | undefined;
  /** Identity of the server-side subscription: one per distinct (document id, operation name, variables, client name). */
  readonly subscriptionKey: string;
  readonly state: AppState;
  /** Id of the last event pushed to this device (`extensions.eventId` of the event), when events carry ids. */
  readonly lastEventId: string | undefined;
  /** Epoch ms of the first registration. */
  readonly createdAt: number;
  /** The verified caller that registered (`sub`; README "Security"), with `AUTH_MODE` on and a token; only it may read, change or delete the registration. */
  readonly subject?: string;
  /** The verified caller's `iss`, when it had one (part of who owns the registration). */
  readonly issuer?: string;
}

/** @returns who owns a registration (`iss` and `sub`, NUL-separated), or undefined for one made without a verified caller. */
export function ownerOf(registration: Pick<PushRegistration, 'subject' | 'issuer'>): string | undefined {
  return registration.subject === undefined ? undefined : `${registration.issuer ?? ''}\u0000${registration.subject}`;
}

/** The subscription a registration asks for: what the bridge runs through the pipeline. */
export interface PushSubscriptionSpec {
  readonly key: string;
  readonly documentId: string;
  readonly operationName: string | undefined;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly clientName: string | undefined;
}

/**
 * APNs device tokens are 32 bytes today, sent as hex; Apple says their length may grow, so 32–100 bytes of hex.
 * FCM registration tokens are opaque URL-safe text (about 150–170 characters today, `:`, `-`, `_` included).
 */
const TOKEN_SHAPES: Record<PushPlatform, { readonly pattern: RegExp; readonly expected: string }> = {
  apns: { pattern: /^(?:[0-9a-fA-F]{2}){32,100}$/, expected: 'an even number (64-200) of hexadecimal digits' },
  fcm: { pattern: /^[A-Za-z0-9_:.-]{32,4096}$/, expected: '32-4096 characters of A-Z a-z 0-9 _ : . -' },
};

const REGISTRATION_BODY = z.strictObject({
  platform: z.enum(['apns', 'fcm']),
  token: z.string(),
  documentId: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\w:.-]+$/, 'a persisted document id ([A-Za-z0-9_:.-], e.g. sha256:<hex>)'),
  operationName: z.string().min(1).max(256).optional(),
  // bounded like a GraphQL request's variables: hashing and coercion recurse, so a deeper value would overflow the stack
  variables: z
    .record(z.string(), z.unknown())
    .refine((v) => !jsonDepthExceeds(v, MAX_JSON_DEPTH), `nested deeper than ${MAX_JSON_DEPTH} levels of objects/arrays`)
    .default({}),
  clientName: z.string().min(1).max(256).optional(),
  state: z.enum(['foreground', 'background']).default('foreground'),
});

const STATE_BODY = z.strictObject({ state: z.enum(['foreground', 'background']) });

/** A checked `POST /push/registrations` body. */
export type RegistrationRequest = z.output<typeof REGISTRATION_BODY>;

/** One registration id: 32 lower-case hex digits. */
export const REGISTRATION_ID = /^[0-9a-f]{32}$/;

const issues = (error: z.ZodError): { path: string; message: string }[] => error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));

/**
 * Checks a `POST /push/registrations` body.
 * @param body - the decoded JSON body (anything).
 * @returns the request, or the error to answer: 400 `PUSH_REGISTRATION_INVALID` (shape, including `variables`
 *   nested deeper than `MAX_JSON_DEPTH` (64) levels; `extensions.issues`) or
 *   400 `PUSH_TOKEN_INVALID` (the token does not have the platform's shape).
 */
export function parseRegistrationRequest(body: unknown): RegistrationRequest | RoamError {
  const parsed = REGISTRATION_BODY.safeParse(body);
  if (!parsed.success) {
    return roamError('PUSH_REGISTRATION_INVALID', `The registration is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}.`, {
      issues: issues(parsed.error),
    });
  }
  const shape = TOKEN_SHAPES[parsed.data.platform];
  if (!shape.pattern.test(parsed.data.token)) {
    return roamError('PUSH_TOKEN_INVALID', `A ${parsed.data.platform} device token must be ${shape.expected}; got ${parsed.data.token.length} characters that are not.`, {
      platform: parsed.data.platform,
    });
  }
  return parsed.data;
}

/**
 * Checks a `POST /push/registrations/:id/state` body (`{"state":"background"|"foreground"}`).
 * @returns the state, or 400 `PUSH_REGISTRATION_INVALID`.
 */
export function parseStateRequest(body: unknown): AppState | RoamError {
  const parsed = STATE_BODY.safeParse(body);
  if (!parsed.success) return roamError('PUSH_REGISTRATION_INVALID', 'Expected {"state":"background"} or {"state":"foreground"}.', { issues: issues(parsed.error) });
  return parsed.data.state;
}

/** JSON with object keys sorted, so equal variables give equal keys. */
function canonicalJson(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(canonical(value));
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** @returns the server-side subscription a registration needs (its key hashes the document id without `sha256:`, operation name, variables, client name). */
export function subscriptionSpecOf(request: Pick<RegistrationRequest, 'documentId' | 'operationName' | 'variables' | 'clientName'>): PushSubscriptionSpec {
  // `sha256:<hex>` and `<hex>` name the same document (GraphQL over HTTP persisted documents): one subscription
  const key = sha(canonicalJson([request.documentId.replace(/^sha256:/, ''), request.operationName ?? null, request.variables, request.clientName ?? null]));
  return { key, documentId: request.documentId, operationName: request.operationName, variables: request.variables, clientName: request.clientName };
}

/**
 * @param owner - {@link ownerOf} the registering caller; undefined without a verified caller.
 * @returns the registration id of one (platform, token, subscription, owner): the same device registering again gets
 *   the same id; another verified caller registering the same token gets another one (never the first one's).
 */
export function registrationIdOf(platform: PushPlatform, token: string, subscriptionKey: string, owner?: string): string {
  return sha(`${platform}\u0000${token}\u0000${subscriptionKey}${owner === undefined ? '' : `\u0000${owner}`}`);
}
