import type { Logger } from 'pino';
import { Agent } from 'undici';
import { InflightCoalescer } from './InflightCoalescer';
import type { RawSubgraphReply } from './postSubgraph';
import { SubgraphClient } from './SubgraphClient';
import type { UpstreamHooks } from './types';
import { UpstreamPool } from './UpstreamPool';

/** Settings of {@link Upstreams}. */
export interface UpstreamsOptions {
  /** Deadline of one HTTP fetch (connect, headers, body), in ms; also the WebSocket `connection_ack` deadline. */
  readonly timeoutMs: number;
  /** Interval of graphql-ws pings to subgraphs, in ms; 0 turns them off. */
  readonly keepAliveMs: number;
  /** Hooks run around every fetch. @default none */
  readonly hooks?: UpstreamHooks;
  readonly logger: Logger;
}

/**
 * The upstream layer: the only code that talks to subgraphs. It owns one keep-alive undici pool for HTTP,
 * one {@link SubgraphClient} per subgraph (by name and URL, kept across supergraph reloads while the URL stays),
 * the coalescer of identical in-flight fetches, and the graphql-ws pool ({@link UpstreamPool}) through which
 * subscriptions reach the subgraph that owns their root field.
 */
export class Upstreams {
  /** Identical in-flight subgraph query fetches (shared by every client). */
  readonly fetches = new InflightCoalescer<RawSubgraphReply>();
  /** graphql-ws clients to subgraphs (subscriptions' primary fetches). */
  readonly ws: UpstreamPool;
  private readonly agent: Agent;
  private readonly clients = new Map<string, SubgraphClient>();
  private readonly hooks: UpstreamHooks;

  constructor(options: UpstreamsOptions) {
    const t = options.timeoutMs;
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1, connectTimeout: t, headersTimeout: t, bodyTimeout: t });
    this.hooks = options.hooks ?? {};
    this.ws = new UpstreamPool({ connectTimeoutMs: t, keepAliveMs: options.keepAliveMs, logger: options.logger, hooks: this.hooks });
  }

  /**
   * @param name - subgraph name.
   * @param url - its GraphQL endpoint in the current supergraph.
   * @returns the client of that subgraph at that URL (created on first use).
   */
  client(name: string, url: string): SubgraphClient {
    const key = `${name}\u0000${url}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new SubgraphClient(name, url, this.agent, this.fetches, this.hooks);
      this.clients.set(key, client);
    }
    return client;
  }

  /** The undici pool (for the Apollo Gateway test oracle's fetcher). */
  get dispatcher(): Agent {
    return this.agent;
  }

  /** Closes the WebSocket clients and the HTTP pool. */
  async close(): Promise<void> {
    await this.ws.close();
    await this.agent.close();
  }
}
