import type { WireEncoding } from './wireEncoding';

/** Settings of `roam-example-client`, from its environment. */
export interface ExampleClientConfig {
  /** `GATEWAY_URL`; @default "http://127.0.0.1:4000/graphql" */
  readonly endpoint: string;
  /** Sent as `apollographql-client-name` (what persisted queries are scoped to, `roam-pq push --client-name`). `CLIENT_NAME`; @default "example" */
  readonly clientName: string;
  /** Sent as `apollographql-client-version`. `CLIENT_VERSION`; @default "1.0.0" */
  readonly clientVersion: string;
  /** `RESPONSE_ENCODING`: `json` | `msgpack`; @default "json" */
  readonly responseEncoding: WireEncoding;
  /** `REQUEST_ENCODING`: `json` | `msgpack`; @default "json" */
  readonly requestEncoding: WireEncoding;
  /** `REVIEW_BODY`: when set, the client also adds a review with this text as one user action with an idempotency key (README "Idempotency keys"); @default undefined */
  readonly reviewBody?: string;
}

/** Thrown by {@link readClientConfig}: a one-line message naming the variable, the value given and what it accepts. */
export class ClientConfigError extends Error {
  override readonly name = 'ClientConfigError';
}

const ENCODINGS: readonly WireEncoding[] = ['json', 'msgpack'];

/**
 * Reads the example client's settings from an environment; the one place they are parsed and checked.
 * Empty values count as unset.
 *
 * @param env - the environment (the entry point passes `process.env`).
 * @returns the settings.
 * @throws ClientConfigError for an encoding other than `json`/`msgpack` or a `GATEWAY_URL` that is not an http(s) URL.
 */
export function readClientConfig(env: NodeJS.ProcessEnv): ExampleClientConfig {
  const get = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const encoding = (name: string): WireEncoding => {
    const value = get(name) ?? 'json';
    if (!(ENCODINGS as readonly string[]).includes(value)) throw new ClientConfigError(`${name}=${JSON.stringify(value)}: expected json or msgpack`);
    return value as WireEncoding;
  };
  const endpoint = get('GATEWAY_URL') ?? 'http://127.0.0.1:4000/graphql';
  if (!/^https?:\/\/\S+$/.test(endpoint)) throw new ClientConfigError(`GATEWAY_URL=${JSON.stringify(endpoint)}: expected an http(s) URL such as http://127.0.0.1:4000/graphql`);
  return {
    endpoint,
    clientName: get('CLIENT_NAME') ?? 'example',
    clientVersion: get('CLIENT_VERSION') ?? '1.0.0',
    responseEncoding: encoding('RESPONSE_ENCODING'),
    requestEncoding: encoding('REQUEST_ENCODING'),
    ...(get('REVIEW_BODY') !== undefined ? { reviewBody: get('REVIEW_BODY') } : {}),
  };
}
