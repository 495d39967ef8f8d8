import { importPKCS8, SignJWT, type KeyLike } from 'jose';
import { request } from 'undici';
import type { FcmSettings } from '../pushEnv';
import { parseRetryAfter, type PushMessage, type PushSender, type SendResult } from './SendResult';

/** OAuth 2.0 scope of FCM HTTP v1. */
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** An access token is refreshed this long before it expires, in ms. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/**
 * FCM HTTP v1 client (Firebase, "Send messages with the FCM HTTP v1 API"). Access tokens come from the OAuth 2.0
 * JWT-bearer grant (RFC 7523; Google, "Using OAuth 2.0 for Server to Server Applications"): an RS256 JWT with
 * `iss` = the service account's e-mail, `scope`, `aud` = the token endpoint, signed with `jose`, exchanged at
 * the token endpoint and reused until 5 minutes before `expires_in`; one exchange at a time.
 *
 * Each push: `POST <url>/v1/projects/<project>/messages:send` with `{"message":{"token","data":{"roam":"<json>"},
 * "android":{"priority":"NORMAL","collapse_key"}}}` (data messages carry strings only).
 * Answers: 200 → sent; 404 or `UNREGISTERED` → unregistered; 401 → a new access token and retry; 429 and 5xx →
 * retry (after `Retry-After` when sent); other → failed.
 */
export class FcmSender implements PushSender {
  private key: Promise<KeyLike> | undefined;
  private accessToken: { readonly value: string; readonly expiresAt: number } | undefined;
  private exchanging: Promise<string> | undefined;

  /**
   * @param settings - `PUSH_FCM_*`.
   * @param timeoutMs - deadline of one request (token exchange or send), in ms.
   */
  constructor(
    private readonly settings: FcmSettings,
    private readonly timeoutMs: number,
  ) {}

  async send(message: PushMessage): Promise<SendResult> {
    let token: string;
    try {
      token = await this.token();
    } catch (error) {
      return { kind: 'retry', status: 0, reason: `FCM token exchange failed: ${(error as Error).message}`, retryAfterMs: undefined };
    }
    const body = JSON.stringify({ message: { token: message.token, data: { roam: JSON.stringify(message.data) }, android: { priority: 'NORMAL', collapse_key: message.collapseId } } });
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(`${this.settings.url.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(this.settings.account.projectId)}/messages:send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      return { kind: 'retry', status: 0, reason: `FCM unreachable: ${(error as Error).message}`, retryAfterMs: undefined };
    }
    if (status === 200) return { kind: 'sent', status };
    const { code, message: detail } = fcmError(text);
    const reason = code ?? `HTTP ${status}`;
    if (status === 404 || reason === 'UNREGISTERED') return { kind: 'unregistered', status, reason };
    // FCM's "The registration token is not a valid FCM registration token" (400 INVALID_ARGUMENT): a dead token too
    if (status === 400 && reason === 'INVALID_ARGUMENT' && /registration token/i.test(detail ?? '')) return { kind: 'unregistered', status, reason: detail! };
    if (status === 401) {
      this.accessToken = undefined;
      return { kind: 'retry', status, reason, retryAfterMs: 0 };
    }
    if (status === 429 || status >= 500) return { kind: 'retry', status, reason, retryAfterMs: parseRetryAfter(headers['retry-after']) };
    return { kind: 'failed', status, reason };
  }

  async close(): Promise<void> {
    this.accessToken = undefined;
  }

  private token(): Promise<string> {
    if (this.accessToken && Date.now() < this.accessToken.expiresAt - REFRESH_MARGIN_MS) return Promise.resolve(this.accessToken.value);
    this.exchanging ??= this.exchange().finally(() => (this.exchanging = undefined));
    return this.exchanging;
  }

  private async exchange(): Promise<string> {
    this.key ??= importPKCS8(this.settings.account.privateKeyPem, 'RS256');
    const key = await this.key.catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(this.settings.account.clientEmail)
      .setAudience(this.settings.tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(key);
    const response = await request(this.settings.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`token endpoint answered ${response.statusCode}`);
    const json = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== 'string') throw new Error('token endpoint sent no access_token');
    const expiresInS = typeof json.expires_in === 'number' ? json.expires_in : 3600;
    this.accessToken = { value: json.access_token, expiresAt: Date.now() + expiresInS * 1000 };
    return json.access_token;
  }
}

/** @returns the FCM error code of an error body (`error.details[].errorCode`, else `error.status`) and its message, when there are. */
function fcmError(text: string): { code: string | undefined; message: string | undefined } {
  try {
    const error = (JSON.parse(text) as { error?: { status?: string; message?: string; details?: { errorCode?: string }[] } }).error;
    return { code: error?.details?.find((d) => typeof d.errorCode === 'string')?.errorCode ?? error?.status, message: error?.message };
  } catch {
    return { code: undefined, message: undefined };
  }
}
