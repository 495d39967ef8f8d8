import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { importPKCS8, SignJWT, type KeyLike } from 'jose';
import type { ApnsSettings } from '../pushEnv';
import { parseRetryAfter, type PushMessage, type PushSender, type SendResult } from './SendResult';

/** Apple accepts a provider token for 60 minutes and refuses refreshes more often than every 20: reuse one for 50. */
const JWT_REUSE_MS = 50 * 60 * 1000;

/**
 * APNs provider API client (Apple, "Sending notification requests to APNs"): one HTTP/2 connection reused for
 * every push, token-based authentication (an ES256 JWT with `iss` = team id and header `kid` = key id, signed
 * with `jose`, reused for 50 minutes), background pushes only:
 * `POST /3/device/<token>` with `apns-push-type: background`, `apns-priority: 5`, `apns-topic`, `apns-collapse-id`
 * and the body `{"aps":{"content-available":1},"roam":{…}}`.
 *
 * Answers: 200 → sent; 410 `Unregistered` and 400 `BadDeviceToken` → unregistered; 403 `ExpiredProviderToken` /
 * `InvalidProviderToken` → a new JWT and retry; 429 and 5xx → retry (after `Retry-After` when sent); other → failed.
 * A connection that fails, closes or gets GOAWAY is replaced on the next push.
 */
export class ApnsSender implements PushSender {
  private session: ClientHttp2Session | undefined;
  private key: Promise<KeyLike> | undefined;
  private jwt: { readonly token: string; readonly at: number } | undefined;

  /**
   * @param settings - `PUSH_APNS_*`.
   * @param timeoutMs - deadline of one request, in ms.
   */
  constructor(
    private readonly settings: ApnsSettings,
    private readonly timeoutMs: number,
  ) {}

  async send(message: PushMessage): Promise<SendResult> {
    let token: string;
    try {
      token = await this.providerToken();
    } catch (error) {
      return { kind: 'failed', status: 0, reason: `APNs key unusable: ${(error as Error).message}` };
    }
    const body = JSON.stringify({ aps: { 'content-available': 1 }, roam: message.data });
    let response: { status: number; headers: Record<string, string | string[] | undefined>; body: string };
    try {
      response = await this.request(`/3/device/${message.token}`, token, message.collapseId, body);
    } catch (error) {
      this.dropSession();
      return { kind: 'retry', status: 0, reason: `APNs unreachable: ${(error as Error).message}`, retryAfterMs: undefined };
    }
    const { status } = response;
    if (status === 200) return { kind: 'sent', status };
    let reason = `HTTP ${status}`;
    try {
      reason = (JSON.parse(response.body) as { reason?: string }).reason ?? reason;
    } catch {
      // no JSON body: keep the status as the reason
    }
    if (status === 410 || reason === 'BadDeviceToken' || reason === 'Unregistered') return { kind: 'unregistered', status, reason };
    if (status === 403 && (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken')) {
      this.jwt = undefined;
      return { kind: 'retry', status, reason, retryAfterMs: 0 };
    }
    if (status === 429 || status >= 500) return { kind: 'retry', status, reason, retryAfterMs: parseRetryAfter(response.headers['retry-after']) };
    return { kind: 'failed', status, reason };
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session && !session.closed) await new Promise<void>((resolve) => session.close(() => resolve()));
  }

  private async providerToken(): Promise<string> {
    const now = Date.now();
    if (this.jwt && now - this.jwt.at < JWT_REUSE_MS) return this.jwt.token;
    this.key ??= importPKCS8(this.settings.keyPem, 'ES256');
    const key = await this.key.catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.settings.keyId })
      .setIssuer(this.settings.teamId)
      .setIssuedAt(Math.floor(now / 1000))
      .sign(key);
    this.jwt = { token, at: now };
    return token;
  }

  private connection(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = connect(this.settings.url, this.settings.caPem ? { ca: this.settings.caPem } : {});
    session.on('error', () => this.dropSession(session));
    session.on('goaway', () => this.dropSession(session));
    session.on('close', () => this.dropSession(session));
    this.session = session;
    return session;
  }

  private dropSession(which?: ClientHttp2Session): void {
    const session = this.session;
    if (!session || (which && which !== session)) return;
    this.session = undefined;
    if (!session.destroyed) session.destroy();
  }

  private request(path: string, token: string, collapseId: string, body: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    return new Promise((resolve, reject) => {
      const stream = this.connection().request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: path,
        authorization: `bearer ${token}`,
        'apns-push-type': 'background',
        'apns-priority': '5',
        'apns-topic': this.settings.topic,
        'apns-collapse-id': collapseId,
        'content-type': 'application/json',
      });
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      stream.setTimeout(this.timeoutMs, () => stream.close(constants.NGHTTP2_CANCEL));
      stream.on('response', (h) => {
        status = Number(h[constants.HTTP2_HEADER_STATUS]);
        headers = h as Record<string, string | string[] | undefined>;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => (status > 0 ? resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') }) : reject(new Error('stream ended without a response'))));
      stream.on('close', () => {
        if (status === 0) reject(new Error(stream.rstCode ? `stream reset (${stream.rstCode})` : 'stream closed'));
      });
      stream.on('error', reject);
      stream.end(body);
    });
  }
}
