import { request } from 'undici';

/** A decoded HTTP response of a GraphQL request. */
export interface GraphQLHttpResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers as undici gives them (lower-case names). */
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON, or `undefined` when it is not JSON (see `text`). */
  readonly body: any;
  /** The body as received, decoded as UTF-8. */
  readonly text: string;
}

/**
 * POSTs a JSON body to a GraphQL endpoint with undici and decodes the JSON answer (GraphQL over HTTP,
 * `application/json` request).
 *
 * @param url - the GraphQL endpoint, e.g. `http://127.0.0.1:<port>/graphql`.
 * @param body - any value, sent as JSON; a string is sent as-is (to send malformed JSON).
 * @param headers - extra request headers, merged over `content-type: application/json`.
 * @returns status, headers, parsed body and raw text; never throws on an HTTP error status.
 * @throws the undici error when the connection fails.
 */
export async function postGraphQL(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLHttpResponse> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}
