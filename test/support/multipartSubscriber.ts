import { request } from 'undici';
import { LAST_EVENT_ID_EXTENSION } from '@roam/redis';

/** `Accept` of Apollo Client's multipart HTTP subscriptions. */
export const MULTIPART_SUBSCRIPTION_ACCEPT = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json';
const BOUNDARY = '\r\n--graphql';

/** One multipart HTTP subscription (Apollo's `subscriptionSpec=1.0`, Apollo Router's framing), read as it arrives. */
export interface MultipartSubscription {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The complete JSON parts received so far, heartbeats (`{}`) left out. */
  parts(): Record<string, any>[];
  /** Whether the closing delimiter arrived. */
  closed(): boolean;
  /** Aborts the request (a phone losing its network) and waits until the body is no longer read. */
  abort(): Promise<void>;
  /** Resolves when the body ended (closing delimiter) or was aborted. */
  readonly done: Promise<void>;
}

/**
 * POSTs `{query, variables, extensions: {lastEventId}}` with the multipart subscription `Accept` and reads the body.
 * @param lastEventId - resume after this event id. @default none (live only)
 */
export async function openMultipartSubscription(url: string, query: string, variables: Record<string, unknown>, lastEventId?: string): Promise<MultipartSubscription> {
  const controller = new AbortController();
  const body = { query, variables, ...(lastEventId !== undefined ? { extensions: { [LAST_EVENT_ID_EXTENSION]: lastEventId } } : {}) };
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MULTIPART_SUBSCRIPTION_ACCEPT },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  let text = '';
  const done = (async () => {
    try {
      for await (const chunk of res.body) text += (chunk as Buffer).toString('utf8');
    } catch {
      // aborted
    }
  })();
  const segments = (): string[] => text.split(BOUNDARY);
  return {
    status: res.statusCode,
    contentType: res.headers['content-type'] as string | undefined,
    parts() {
      // every complete part is followed by a boundary, so the last segment is partial, empty or the closing `--`
      return segments()
        .slice(1, -1)
        .map((segment) => JSON.parse(segment.slice(segment.indexOf('\r\n\r\n') + 4)) as Record<string, any>)
        .filter((part) => Object.keys(part).length > 0);
    },
    closed: () => segments().at(-1) === '--\r\n',
    async abort() {
      controller.abort();
      await done;
    },
    done,
  };
}
