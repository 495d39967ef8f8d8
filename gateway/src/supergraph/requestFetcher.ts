import type { Fetcher, FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import type { Dispatcher } from 'undici';
import { dispatchTarget } from '../executor/postSubgraphJson';

/**
 * A `Fetcher` (the fetch contract `@apollo/gateway` calls) built on undici's `dispatcher.request`
 * instead of WHATWG `fetch`: no web streams, no `Request`/`Response` objects, no per-request
 * `AbortSignal`; the dispatcher's connect, headers and body timeouts bound each call. The whole body is
 * read as text once; `json()` parses it.
 *
 * @param dispatcher - the pooled keep-alive undici `Agent` shared by every subgraph call.
 * @returns a fetcher; it rejects with undici's errors (e.g. `ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`).
 */
export function requestFetcher(dispatcher: Dispatcher): Fetcher {
  return async (url: string, init?: FetcherRequestInit): Promise<FetcherResponse> => {
    const res = await dispatcher.request({
      ...dispatchTarget(url),
      method: (init?.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: init?.headers,
      body: init?.body,
    });
    const text = await res.body.text();
    return new TextResponse(url, res.statusCode, new ReplyHeaders(res.headers), text);
  };
}

class ReplyHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();
  constructor(raw: Record<string, string | string[] | undefined>) {
    for (const [k, v] of Object.entries(raw)) if (v !== undefined) this.map.set(k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v);
  }
  append(name: string, value: string): void {
    const k = name.toLowerCase();
    const old = this.map.get(k);
    this.map.set(k, old === undefined ? value : `${old}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

class TextResponse implements FetcherResponse {
  bodyUsed = false;
  readonly redirected = false;
  constructor(readonly url: string, readonly status: number, readonly headers: FetcherHeaders, private readonly bodyText: string) {}
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  get statusText(): string {
    return STATUS_TEXT[this.status] ?? '';
  }
  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.bodyText;
  }
  async json(): Promise<any> {
    this.bodyUsed = true;
    return JSON.parse(this.bodyText);
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    const b = Buffer.from(this.bodyText);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  clone(): FetcherResponse {
    return new TextResponse(this.url, this.status, this.headers, this.bodyText);
  }
}
