import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../errors';
import { runEntry, type EntryRunner } from '../pipeline/runEntry';
import type { EntryOutcome, RequestInfo } from '../pipeline/types';
import { toHeaderMap } from './toHeaderMap';

/** What {@link registerGraphQLRoute} needs. */
export interface GraphQLRouteOptions extends EntryRunner {
  /** @returns whether a supergraph is loaded; until then requests get 503 `SUPERGRAPH_NOT_READY`. */
  readonly isReady: () => boolean;
  /**
   * The batch and body limits of a client (by `apollographql-client-name`); none checked when omitted.
   * The body limit always applies; the batch limit only in `enforce` mode.
   */
  readonly limitsFor?: (clientName: string | undefined) => { readonly maxBatchSize: number; readonly maxBodyBytes: number; readonly mode: 'enforce' | 'measure' };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Decodes a GET request's parameters (GraphQL over HTTP, "GET"): `variables` and `extensions` are JSON. */
function entryFromQueryString(query: Record<string, string | string[] | undefined>): unknown {
  const entry: Record<string, unknown> = {};
  for (const key of ['query', 'operationName', 'documentId'] as const) {
    const v = header(query[key]);
    if (v !== undefined) entry[key] = v;
  }
  for (const key of ['variables', 'extensions'] as const) {
    const v = header(query[key]);
    if (v === undefined || v === '') continue;
    try {
      entry[key] = JSON.parse(v);
    } catch {
      throw new Error(`The "${key}" parameter is not valid JSON.`);
    }
  }
  return entry;
}

/**
 * Serves `/graphql` with GET and POST (GraphQL over HTTP). A POST body is one request object or a
 * JSON array of them (a batch: one result per entry, in order, HTTP 200). Each entry runs through
 * {@link runEntry}: its own steps and its own outcome, so one entry's failure is that entry's result only.
 * Other methods get 405 with `Allow: GET, POST`.
 */
export function registerGraphQLRoute(app: FastifyInstance, options: GraphQLRouteOptions): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    if (!options.isReady()) {
      return reply.code(503).header('retry-after', '1').send(errorBody('SUPERGRAPH_NOT_READY', 'The gateway has not loaded a supergraph yet.'));
    }
    const method = request.method === 'GET' ? 'GET' : 'POST';
    const limits = options.limitsFor?.(header(request.headers['apollographql-client-name']));
    const contentLength = Number(header(request.headers['content-length']));
    if (limits && contentLength > limits.maxBodyBytes) {
      return reply.code(413).send(errorBody('PAYLOAD_TOO_LARGE', `The request body is ${contentLength} bytes, over the limit of ${limits.maxBodyBytes}.`, { measured: contentLength, limit: limits.maxBodyBytes }));
    }
    const queryIndex = request.url.indexOf('?');
    let raw: unknown;
    if (method === 'GET') {
      try {
        raw = entryFromQueryString(request.query as Record<string, string | string[] | undefined>);
      } catch (error) {
        return reply.code(400).send(errorBody('BAD_REQUEST', (error as Error).message));
      }
    } else {
      raw = request.body;
    }
    const base = {
      method,
      headers: toHeaderMap(request.headers),
      search: queryIndex >= 0 ? request.url.slice(queryIndex) : '',
      clientName: header(request.headers['apollographql-client-name']),
      clientVersion: header(request.headers['apollographql-client-version']),
    } as const;

    if (Array.isArray(raw)) {
      if (raw.length === 0) return reply.code(400).send(errorBody('BAD_REQUEST', 'A batch must contain at least one operation.'));
      if (limits && limits.mode === 'enforce' && raw.length > limits.maxBatchSize) {
        return reply.code(400).send(errorBody('BATCH_LIMIT_EXCEEDED', `The batch has ${raw.length} operations, over the limit of ${limits.maxBatchSize}.`, { measured: raw.length, limit: limits.maxBatchSize }));
      }
      const info: RequestInfo = { ...base, inBatch: true };
      const outcomes = await Promise.all(raw.map((entry) => runEntry(options, entry, info)));
      return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(`[${outcomes.map((o) => o.body.trimEnd()).join(",")}]`);
    }
    const outcome: EntryOutcome = await runEntry(options, raw, { ...base, inBatch: false });
    for (const [name, value] of outcome.headers) void reply.header(name, value);
    if (!outcome.headers.has('content-type')) void reply.header('content-type', 'application/json; charset=utf-8');
    return reply.code(outcome.status).send(outcome.body);
  };
  app.route({ method: ['GET', 'POST'], url: '/graphql', handler });
  app.route({
    method: ['PUT', 'PATCH', 'DELETE'],
    url: '/graphql',
    handler: async (_request, reply) =>
      reply.code(405).header('allow', 'GET, POST').send(errorBody('METHOD_NOT_ALLOWED', 'The GraphQL endpoint accepts GET and POST.')),
  });
}
