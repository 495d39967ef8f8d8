import Fastify, { type FastifyInstance } from 'fastify';
import { errorBody } from '@roam/errors';
import { handleFrameworkError } from '../http/registerErrorHandlers';
import type { GatewayMetrics } from './GatewayMetrics';

/** Where `/metrics` is served: on the gateway's app, or on its own listener. */
export interface MetricsEndpoint {
  /** The separate listener's URL (`http://host:port/metrics`), once listening; undefined when served on the main port. */
  url(): string | undefined;
  /** Starts the separate listener, if any. @throws when its port is taken. */
  listen(): Promise<void>;
  /** Stops the separate listener, if any. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text exposition format 0.0.4) on `app`, or, with `port`, on a separate
 * Fastify listener on `host:port` (0 = a free port), so the metrics need not be reachable where clients are.
 *
 * @returns the endpoint's handle.
 */
export function registerMetricsEndpoint(app: FastifyInstance, metrics: GatewayMetrics, host: string, port: number | undefined): MetricsEndpoint {
  const route = (target: FastifyInstance) =>
    target.get('/metrics', async (_request, reply) => {
      const text = await metrics.scrape();
      return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
    });
  if (port === undefined) {
    route(app);
    return { url: () => undefined, listen: async () => undefined, close: async () => undefined };
  }
  // the same GraphQL-shaped refusals as the main port (not Fastify's own bodies) for anything but GET /metrics
  const own = Fastify({ logger: false, frameworkErrors: handleFrameworkError });
  own.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}; this port serves GET /metrics only.`)));
  route(own);
  let address: string | undefined;
  return {
    url: () => address,
    async listen() {
      const base = await own.listen({ port, host });
      address = `${base}/metrics`;
    },
    close: () => own.close(),
  };
}
