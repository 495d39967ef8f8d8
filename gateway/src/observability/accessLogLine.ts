import type { GraphQLExchange } from '../http/GraphQLExchange';
import type { OperationFacts } from './operationFacts';

/** The fields of one access-log line (pino JSON; `msg` is `"request"`). */
export interface AccessLogLine {
  readonly transport: 'http' | 'ws';
  readonly method?: 'GET' | 'POST';
  readonly clientName?: string;
  readonly clientVersion?: string;
  /** `query`, `mutation`, `subscription`, `batch`; absent when refused before the operation was selected. */
  readonly operationType?: string;
  /** Operation names, comma-separated for a batch. */
  readonly operationName?: string;
  /** Document ids (SHA-256), comma-separated for a batch. */
  readonly documentId?: string;
  readonly status?: number;
  /** First error code; absent when none. */
  readonly code?: string;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly encoding?: string;
  readonly durationMs: number;
  /** Estimated cost (sum over a batch). */
  readonly cost?: number;
  /** Persisted-query outcome (`hit`, `miss`, `registered`, `refused`) or `not-modified` for a 304; absent otherwise. */
  readonly cache?: string;
}

/**
 * Builds the access-log line of one HTTP exchange from what the adapter measured and what the pipeline learnt.
 * Header values are cut to 64 characters so a hostile header cannot blow up a log line.
 *
 * @returns the line's fields, undefined ones omitted by pino.
 */
export function accessLogLine(exchange: GraphQLExchange, facts: OperationFacts | undefined): AccessLogLine {
  return {
    transport: 'http',
    method: exchange.method,
    clientName: cut(exchange.clientName),
    clientVersion: cut(exchange.clientVersion),
    operationType: exchange.batchSize > 0 ? 'batch' : facts?.operationType,
    operationName: joined(facts?.operationNames),
    documentId: joined(facts?.documentIds),
    status: exchange.status,
    code: exchange.code,
    bytesIn: exchange.requestBytes,
    bytesOut: exchange.responseBytes,
    encoding: exchange.contentEncoding,
    durationMs: Math.round(exchange.durationMs * 100) / 100,
    cost: facts?.cost,
    cache: exchange.status === 304 ? 'not-modified' : facts?.persistedQuery,
  };
}

function cut(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.slice(0, 64);
}

function joined(values: readonly string[] | undefined): string | undefined {
  return values && values.length > 0 ? values.join(',') : undefined;
}
