import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { errorBody } from '@roam/errors';
import type { PersistedQueryStore } from '@roam/persisted-queries';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { request as undiciRequest } from 'undici';
import type { GatewayMetrics } from '../observability/GatewayMetrics';
import type { BreakerState } from '../upstream/SubgraphGuard';
import type { ConsoleStats } from './ConsoleStats';
import type { DevConsoleSettings } from './devConsoleEnv';

/** What the console reads: the live supergraph, the breakers, the metrics, the persisted-query store and its own traffic tables. */
export interface DevConsoleSources {
  /** The supergraph in use (version = loads so far, subgraph URLs by name), undefined before the first load. */
  supergraph(): { readonly version: number; readonly subgraphs: ReadonlyMap<string, string> } | undefined;
  /** Circuit breaker state by subgraph (subgraphs fetched at least once). */
  breakerStates(): Record<string, BreakerState>;
  /** Subgraph fetch counts, errors and durations come from here; undefined with `METRICS=off`. */
  readonly metrics: GatewayMetrics | undefined;
  /** The registered operations (`roam-pq push`). */
  readonly store: PersistedQueryStore;
  /** `PERSISTED_QUERIES`. */
  readonly persistedQueriesMode: string;
  readonly stats: ConsoleStats;
}

/** One subgraph as the console shows it. */
export interface ConsoleSubgraph {
  readonly name: string;
  readonly url: string;
  /** `up` when a `{ __typename }` probe just got a 2xx reply, else `down`. */
  readonly health: 'up' | 'down';
  /** Probe round trip, in ms. */
  readonly probeMs: number;
  /** Why the probe failed (generic: status or error class), when down. */
  readonly probeError?: string;
  /** Circuit breaker state; `closed` for a subgraph not fetched yet. */
  readonly breaker: BreakerState;
  /** Gateway fetches to it since start (coalesced joins excluded), failed ones, and their mean duration in ms. */
  readonly fetches: number;
  readonly fetchErrors: number;
  readonly meanFetchMs: number | null;
}

/** Cookie holding the console token once a `?token=` URL was opened. */
const COOKIE = 'roam_console';
/** How long one probe result is reused, in ms (several open consoles do not multiply probes). */
const PROBE_REUSE_MS = 1000;
/** Deadline of one health probe, in ms. */
const PROBE_TIMEOUT_MS = 1000;
const STATIC_DIR = join(__dirname, '..', '..', 'static');

/** HTTP headers of the console's HTML pages: no caching, no framing, scripts and styles from this origin only. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

/**
 * The files `/console/assets/<name>` serves: GraphiQL's and React's own built bundles from node_modules (the
 * exact pinned versions of gateway/package.json: `graphiql` 4.1.2 UMD, `react`/`react-dom` 18.3.1 UMD, the
 * last React line with UMD builds) and the console's own script and style (gateway/static). No CDN.
 *
 * @returns name → absolute path and content type.
 * @throws Error when a bundle is missing (a broken install), so the gateway does not start half a console.
 */
function assetFiles(): Map<string, { path: string; type: string }> {
  const require = createRequire(__filename);
  const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
  const files = new Map([
    ['react.production.min.js', { path: join(packageDir('react'), 'umd/react.production.min.js'), type: 'text/javascript; charset=utf-8' }],
    ['react-dom.production.min.js', { path: join(packageDir('react-dom'), 'umd/react-dom.production.min.js'), type: 'text/javascript; charset=utf-8' }],
    ['graphiql.min.js', { path: join(packageDir('graphiql'), 'graphiql.min.js'), type: 'text/javascript; charset=utf-8' }],
    ['graphiql.min.css', { path: join(packageDir('graphiql'), 'graphiql.min.css'), type: 'text/css; charset=utf-8' }],
    ['sandbox.js', { path: join(STATIC_DIR, 'sandbox.js'), type: 'text/javascript; charset=utf-8' }],
    ['console.js', { path: join(STATIC_DIR, 'console.js'), type: 'text/javascript; charset=utf-8' }],
    ['console.css', { path: join(STATIC_DIR, 'console.css'), type: 'text/css; charset=utf-8' }],
  ]);
  for (const [name, file] of files) if (!existsSync(file.path)) throw new Error(`developer console: ${name} not found at ${file.path} (npm install?)`);
  return files;
}

const SANDBOX_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Roam sandbox (GraphiQL)</title>
<link rel="stylesheet" href="/console/assets/graphiql.min.css">
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body class="sandbox">
<div id="graphiql">Loading GraphiQL…</div>
<script src="/console/assets/react.production.min.js"></script>
<script src="/console/assets/react-dom.production.min.js"></script>
<script src="/console/assets/graphiql.min.js"></script>
<script src="/console/assets/sandbox.js"></script>
</body>
</html>
`;

const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Roam console</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body class="console">
<header><h1>Roam console</h1><nav><a href="/graphql">GraphiQL sandbox</a> · <a href="/metrics">/metrics</a></nav><p id="status">Loading…</p></header>
<main id="console"></main>
<script src="/console/assets/console.js"></script>
</body>
</html>
`;

const unauthorizedPage = (path: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Roam console: token required</title></head>
<body><h1>Token required</h1><p>Open <code>${path}?token=&lt;token&gt;</code>: the gateway's start-up log shows the URL with its token
(or set <code>DEV_CONSOLE_TOKEN</code>).</p></body></html>
`;

/** Media ranges that ask for a GraphQL response (JSON or MessagePack), wildcards included. */
const API_RANGES = new Set(['application/json', 'application/graphql-response+json', 'application/msgpack', 'application/x-msgpack', 'application/*', '*/*']);

/**
 * Whether `Accept` prefers HTML to a GraphQL response (a browser navigating to the URL), negotiated as Apollo
 * Server's landing page does (RFC 9110 §12.5.1): `text/html` with `q` > 0 must have a higher `q` than every range
 * that admits JSON or MessagePack (`*` + `/*` and `application/*` included), or the same `q` and come first.
 * So `text/html;q=0, *` + `/*`, `application/json, text/html` and `text/html;q=0.1, application/json` get JSON;
 * a browser's `text/html,…,*` + `/*;q=0.8` gets the page.
 *
 * @param accept - the `Accept` header, if any.
 * @returns true when the sandbox page should be served.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html: { q: number; order: number } | undefined;
  let api: { q: number; order: number } | undefined;
  accept.split(',').forEach((part, order) => {
    const [rawType, ...params] = part.split(';');
    const type = (rawType ?? '').trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((x) => x.trim());
      if (name?.toLowerCase() === 'q') q = Number.isFinite(Number(value)) ? Math.min(Math.max(Number(value), 0), 1) : 0;
    }
    if (q <= 0) return;
    if (type === 'text/html') {
      if (!html || q > html.q) html = { q, order };
    } else if (API_RANGES.has(type) && (!api || q > api.q)) api = { q, order };
  });
  return html !== undefined && (api === undefined || html.q > api.q || (html.q === api.q && html.order < api.order));
}

/** Constant-time comparison of a presented token with the configured one. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** @returns the value of cookie `name` in a `Cookie` header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Registers the developer console and the GraphiQL sandbox (issue 15 item 5), when `settings.enabled`:
 * - `GET /graphql` whose `Accept` prefers `text/html` ({@link prefersHtml}: a browser) → GraphiQL 4 served from the npm package's own bundles; its
 *   requests are ordinary `POST /graphql` (client name `roam-sandbox`). Other `GET /graphql` requests are untouched.
 * - `GET /console` → a page polling `GET /console/data` every 2 s: supergraph version; each subgraph's health
 *   (a `{ __typename }` probe, 1 s deadline), breaker state, fetch count, errors and mean latency; registered
 *   operations per client scope with their traffic; operations and client versions seen (requests, error rate,
 *   bytes on the wire); the latest limit refusals.
 * - `GET /console/assets/<name>` → the bundles and the console's script and style (no token: public files).
 *
 * Pages and data ask for the token: `?token=` (answered with a 303 to the same URL without it and an HttpOnly,
 * SameSite=Strict `roam_console` cookie), that cookie, or `Authorization: Bearer <token>`; otherwise 401.
 *
 * @throws Error when a GraphiQL or React bundle is missing from node_modules.
 */
export function registerDevConsole(app: FastifyInstance, settings: DevConsoleSettings, sources: DevConsoleSources, logger: Logger): void {
  if (!settings.enabled) return;
  const files = assetFiles();
  const cache = new Map<string, Buffer>();
  const probes = new Map<string, { atMs: number; result: Promise<Pick<ConsoleSubgraph, 'health' | 'probeMs' | 'probeError'>> }>();

  /** @returns true when the request may see the console; otherwise the reply has been sent (401 or the 303 that sets the cookie). */
  const admit = (request: FastifyRequest, reply: FastifyReply, html: boolean): boolean => {
    const url = new URL(request.url, 'http://console.invalid');
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && sameToken(queryToken, settings.token)) {
      url.searchParams.delete('token');
      void reply
        .code(303)
        .header('set-cookie', `${COOKIE}=${settings.token}; Path=/; HttpOnly; SameSite=Strict`)
        .header('cache-control', 'no-store')
        .header('location', `${url.pathname}${url.search}`)
        .send();
      return false;
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const presented = queryToken === null ? (cookieValue(request.headers.cookie, COOKIE) ?? bearer) : undefined;
    if (presented !== undefined && sameToken(presented, settings.token)) return true;
    void reply
      .code(401)
      .headers(html ? PAGE_HEADERS : { 'cache-control': 'no-store' })
      .send(html ? unauthorizedPage(url.pathname) : errorBody('CONSOLE_TOKEN_REQUIRED', 'The developer console token is required: ?token=, the roam_console cookie, or Authorization: Bearer.'));
    return false;
  };

  // A browser opening the GraphQL endpoint gets GraphiQL; API clients (JSON Accept, POST) go on to the route.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || !prefersHtml(request.headers.accept)) return;
    const path = request.url.split('?', 1)[0];
    if (path !== '/graphql') return;
    if (admit(request, reply, true)) void reply.code(200).headers(PAGE_HEADERS).send(SANDBOX_PAGE);
    return reply;
  });

  app.get('/console', async (request, reply) => {
    if (admit(request, reply, true)) return reply.code(200).headers(PAGE_HEADERS).send(CONSOLE_PAGE);
    return reply;
  });

  app.get<{ Params: { name: string } }>('/console/assets/:name', async (request, reply) => {
    const file = files.get(request.params.name);
    if (!file) return reply.code(404).send(errorBody('NOT_FOUND', 'No such console asset.'));
    let body = cache.get(request.params.name);
    if (!body) {
      body = readFileSync(file.path);
      cache.set(request.params.name, body);
    }
    return reply.headers({ 'content-type': file.type, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).send(body);
  });

  const probe = (name: string, url: string) => {
    const key = `${name}\u0000${url}`;
    const now = Date.now();
    const last = probes.get(key);
    if (last && now - last.atMs < PROBE_REUSE_MS) return last.result;
    const result = (async () => {
      const started = performance.now();
      try {
        const res = await undiciRequest(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: '{"query":"query RoamConsoleProbe { __typename }"}',
          signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        });
        await res.body.dump();
        const probeMs = Math.round((performance.now() - started) * 10) / 10;
        return res.statusCode >= 200 && res.statusCode < 300 ? { health: 'up' as const, probeMs } : { health: 'down' as const, probeMs, probeError: `HTTP ${res.statusCode}` };
      } catch (error) {
        const probeMs = Math.round((performance.now() - started) * 10) / 10;
        const code = (error as { code?: unknown }).code;
        return { health: 'down' as const, probeMs, probeError: typeof code === 'string' ? code : (error as Error).name };
      }
    })();
    probes.set(key, { atMs: now, result });
    return result;
  };

  /** Fetch counts, errors and duration sums per subgraph, from the metrics (coalesced joins left out). */
  const fetchTotals = async () => {
    const totals = new Map<string, { count: number; sumSeconds: number; errors: number }>();
    const metrics = sources.metrics;
    if (!metrics) return totals;
    const entry = (subgraph: string) => totals.get(subgraph) ?? totals.set(subgraph, { count: 0, sumSeconds: 0, errors: 0 }).get(subgraph)!;
    for (const v of (await metrics.subgraphFetchDuration.get()).values) {
      const subgraph = String(v.labels.subgraph);
      if (v.labels.outcome === 'coalesced') continue;
      if (v.metricName?.endsWith('_count')) entry(subgraph).count += v.value;
      else if (v.metricName?.endsWith('_sum')) entry(subgraph).sumSeconds += v.value;
    }
    for (const v of (await metrics.subgraphFetchErrors.get()).values) entry(String(v.labels.subgraph)).errors += v.value;
    return totals;
  };

  app.get('/console/data', async (request, reply) => {
    if (!admit(request, reply, false)) return reply;
    const supergraph = sources.supergraph();
    const breakers = sources.breakerStates();
    const totals = await fetchTotals();
    const subgraphs: ConsoleSubgraph[] = await Promise.all(
      [...(supergraph?.subgraphs ?? new Map<string, string>())].map(async ([name, url]) => {
        const t = totals.get(name);
        return {
          name,
          url,
          ...(await probe(name, url)),
          breaker: breakers[name] ?? 'closed',
          fetches: t?.count ?? 0,
          fetchErrors: t?.errors ?? 0,
          meanFetchMs: t && t.count > 0 ? Math.round((t.sumSeconds / t.count) * 1e5) / 100 : null,
        };
      }),
    );
    const operations = sources.stats.operationTraffic();
    let registered: unknown[] = [];
    let registeredError: string | undefined;
    try {
      const stored = await sources.store.list();
      registered = stored.flatMap((op) =>
        op.clients.map((scope) => {
          const seen = operations.filter((o) => o.documentId === op.id && (scope.clientName === undefined || o.clientName === scope.clientName));
          return {
            clientName: scope.clientName ?? '(any client)',
            clientVersion: scope.clientVersion ?? '',
            id: op.id,
            name: op.name ?? '',
            type: op.type ?? '',
            requests: seen.reduce((n, o) => n + o.requests, 0),
            errors: seen.reduce((n, o) => n + o.errors, 0),
          };
        }),
      );
    } catch (error) {
      registeredError = (error as Error).message;
      logger.debug({ err: registeredError }, 'developer console: listing registered operations failed');
    }
    return reply.header('cache-control', 'no-store').send({
      generatedAt: new Date().toISOString(),
      persistedQueries: sources.persistedQueriesMode,
      supergraph: supergraph ? { version: supergraph.version } : null,
      subgraphs,
      registeredOperations: registered,
      ...(registeredError ? { registeredOperationsError: registeredError } : {}),
      operations,
      clientVersions: sources.stats.clientVersionTraffic().map((v) => ({ ...v, errorRate: v.requests > 0 ? v.errors / v.requests : 0 })),
      limitRefusals: sources.stats.latestRefusals(),
    });
  });
}
