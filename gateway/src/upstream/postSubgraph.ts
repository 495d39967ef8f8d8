import type { Dispatcher } from 'undici';

/** What a subgraph answered: the HTTP status, a header reader and the decoded body. */
export interface SubgraphHttpReply {
  readonly status: number;
  /** Header value by lower-case name, or `null` (the WHATWG `Headers.get` contract Apollo Gateway reads). */
  readonly headers: { get(name: string): string | null };
  /** The parsed JSON body when the reply is JSON (`application/json` or `application/graphql-response+json`), else its text. */
  readonly body: unknown;
}

/**
 * POSTs one GraphQL request body to a subgraph over a pooled keep-alive undici dispatcher, with
 * `dispatcher.request` (no WHATWG fetch, no web streams, no per-request `AbortSignal`): the
 * dispatcher's `headersTimeout` and `bodyTimeout` bound the wait. The body is read whole and parsed
 * once.
 *
 * @param dispatcher - the pool (an undici `Agent`), shared by every subgraph fetch.
 * @param url - the subgraph's GraphQL endpoint.
 * @param body - the request body, already serialised as JSON.
 * @param headers - request headers; `content-type` and `accept` are set when absent.
 * @returns the reply whatever its status (callers decide what a non-2xx status means).
 * @throws undici's errors for refused connections and timeouts (`UND_ERR_HEADERS_TIMEOUT`, `UND_ERR_BODY_TIMEOUT`),
 *   and `SyntaxError` when a JSON content type carries a body that is not JSON.
 */
export async function postSubgraphJson(dispatcher: Dispatcher, url: string, body: string, headers: Record<string, string> = {}): Promise<SubgraphHttpReply> {
  return parseSubgraphReply(await postSubgraph(dispatcher, url, body, headers));
}

/** A subgraph reply before its body is parsed (shareable between coalesced callers). */
export interface RawSubgraphReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** Like {@link postSubgraphJson} but leaves the body as text. @throws undici's errors. */
export async function postSubgraph(dispatcher: Dispatcher, url: string, body: string, headers: Record<string, string> = {}): Promise<RawSubgraphReply> {
  const res = await dispatcher.request({
    ...dispatchTarget(url),
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/**
 * Decodes a {@link RawSubgraphReply}: JSON content types are parsed (a fresh object per call).
 * @throws SyntaxError when a JSON content type carries a body that is not JSON.
 */
export function parseSubgraphReply(raw: RawSubgraphReply): SubgraphHttpReply {
  const contentType = headerValue(raw.headers['content-type']);
  const isJson = contentType !== null && (contentType.startsWith('application/json') || contentType.startsWith('application/graphql-response+json'));
  return {
    status: raw.status,
    headers: { get: (name: string) => headerValue(raw.headers[name.toLowerCase()]) },
    body: isJson ? (JSON.parse(raw.text) as unknown) : raw.text,
  };
}

const targets = new Map<string, { origin: string; path: string }>();

/** Splits a URL into undici's `origin` + `path` (cached per distinct URL). */
export function dispatchTarget(url: string): { origin: string; path: string } {
  let t = targets.get(url);
  if (t === undefined) {
    const u = new URL(url);
    t = { origin: u.origin, path: `${u.pathname}${u.search}` };
    if (targets.size < 1000) targets.set(url, t);
  }
  return t;
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
