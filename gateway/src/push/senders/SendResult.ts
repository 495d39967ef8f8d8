/**
 * What one push attempt came to, for the dispatcher:
 * - `sent`: the push service accepted it (APNs 200, FCM 200);
 * - `unregistered`: the token is dead (APNs 410 `Unregistered` / 400 `BadDeviceToken`, FCM 404 `UNREGISTERED`): remove it;
 * - `retry`: worth another attempt (429, 5xx, network failure, an expired auth token), after `retryAfterMs` when the service said (`Retry-After`);
 * - `failed`: will not succeed as sent (other 4xx); logged and dropped.
 */
export type SendResult =
  | { readonly kind: 'sent'; readonly status: number }
  | { readonly kind: 'unregistered'; readonly status: number; readonly reason: string }
  | { readonly kind: 'retry'; readonly status: number; readonly reason: string; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'failed'; readonly status: number; readonly reason: string };

/** One background push to one device. */
export interface PushMessage {
  /** The device token. */
  readonly token: string;
  /** The app's payload (Roam's `roam` object, see README "Push bridge"); the sender wraps it for its platform. */
  readonly data: object;
  /** Pushes with the same collapse id replace each other on the device (APNs `apns-collapse-id`, FCM `collapse_key`); at most 64 bytes. */
  readonly collapseId: string;
}

/** A push service client (APNs, FCM). */
export interface PushSender {
  /** Sends one push. @returns the outcome; never rejects (a network failure is `retry`). */
  send(message: PushMessage): Promise<SendResult>;
  /** Closes connections. */
  close(): Promise<void>;
}

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 * @param value - the header value, if any.
 * @param now - epoch ms, for an HTTP-date.
 * @returns the delay in ms (≥ 0), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
