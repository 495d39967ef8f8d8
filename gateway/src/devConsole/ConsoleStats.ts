import { LRUCache } from 'lru-cache';
import type { OperationFacts } from '../observability/operationFacts';

/** Traffic of one operation as one client version sent it. */
export interface OperationTraffic {
  readonly clientName: string;
  readonly clientVersion: string;
  /** Operation name(s) as selected (comma-separated for a batch), `''` when anonymous or refused before selection. */
  readonly operationName: string;
  /** Document id (SHA-256 of the text, or the persisted id), `''` when unknown. */
  readonly documentId: string;
  requests: number;
  /** Requests answered with an error code. */
  errors: number;
  /** Last request, epoch ms. */
  lastSeenMs: number;
}

/** Traffic of one client version: requests, error rate's inputs and bytes on the wire. */
export interface ClientVersionTraffic {
  readonly clientName: string;
  readonly clientVersion: string;
  requests: number;
  errors: number;
  /** Request body bytes on the wire (before decompression), summed. */
  bytesIn: number;
  /** Response body bytes on the wire (after compression), summed. */
  bytesOut: number;
  lastSeenMs: number;
}

/** One refusal by a limit (operation limits, batch size, payload size). */
export interface LimitRefusal {
  /** Epoch ms. */
  readonly atMs: number;
  readonly code: string;
  readonly clientName: string;
  readonly clientVersion: string;
  readonly operationName: string;
}

/** What one finished request contributes. */
export interface ConsoleRequest {
  readonly clientName: string | undefined;
  readonly clientVersion: string | undefined;
  readonly code: string | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly facts: OperationFacts | undefined;
}

/** Stand-in for a client name or version the request did not send. */
const NONE = '(none)';
/** Longest client name, version or operation name kept (header values are the client's choice). */
const MAX_LABEL = 64;

const label = (value: string | undefined): string => (value === undefined || value === '' ? NONE : value.slice(0, MAX_LABEL));

/**
 * The developer console's view of traffic since start: per operation and client version, per client version
 * (requests, errors, bytes on the wire), and the latest limit refusals. Bounded whatever clients send: at most
 * `maxOperations` and `maxClientVersions` entries (least recently seen dropped first, `lru-cache`), the last
 * `maxRefusals` refusals, values cut to 64 characters. Fed by the observability hooks; never throws.
 */
export class ConsoleStats {
  private readonly operations: LRUCache<string, OperationTraffic>;
  private readonly clientVersions: LRUCache<string, ClientVersionTraffic>;
  private readonly refusals: LimitRefusal[] = [];

  /**
   * @param limits - entry bounds. @default 500 operations, 200 client versions, 50 refusals
   * @param now - clock, epoch ms. @default Date.now
   */
  constructor(
    private readonly limits: { maxOperations: number; maxClientVersions: number; maxRefusals: number } = { maxOperations: 500, maxClientVersions: 200, maxRefusals: 50 },
    private readonly now: () => number = Date.now,
  ) {
    this.operations = new LRUCache({ max: limits.maxOperations });
    this.clientVersions = new LRUCache({ max: limits.maxClientVersions });
  }

  /** Records one finished request (an HTTP exchange, a batch counting once, or a WebSocket `subscribe`). */
  request(r: ConsoleRequest): void {
    const clientName = label(r.clientName);
    const clientVersion = label(r.clientVersion);
    const at = this.now();
    const failed = r.code !== undefined ? 1 : 0;
    const versionKey = `${clientName}\u0000${clientVersion}`;
    let version = this.clientVersions.get(versionKey);
    if (!version) {
      version = { clientName, clientVersion, requests: 0, errors: 0, bytesIn: 0, bytesOut: 0, lastSeenMs: at };
      this.clientVersions.set(versionKey, version);
    }
    version.requests++;
    version.errors += failed;
    version.bytesIn += r.bytesIn;
    version.bytesOut += r.bytesOut;
    version.lastSeenMs = at;
    const operationName = (r.facts?.operationNames.join(',') ?? '').slice(0, MAX_LABEL);
    const documentId = (r.facts?.documentIds.join(',') ?? '').slice(0, 2 * MAX_LABEL + 1);
    const operationKey = `${versionKey}\u0000${operationName}\u0000${documentId}`;
    let operation = this.operations.get(operationKey);
    if (!operation) {
      operation = { clientName, clientVersion, operationName, documentId, requests: 0, errors: 0, lastSeenMs: at };
      this.operations.set(operationKey, operation);
    }
    operation.requests++;
    operation.errors += failed;
    operation.lastSeenMs = at;
  }

  /** Records a refusal by a limit. */
  refusal(code: string, clientName: string | undefined, clientVersion: string | undefined, operationName: string | undefined): void {
    this.refusals.push({ atMs: this.now(), code, clientName: label(clientName), clientVersion: label(clientVersion), operationName: (operationName ?? '').slice(0, MAX_LABEL) });
    if (this.refusals.length > this.limits.maxRefusals) this.refusals.shift();
  }

  /** @returns operations by traffic, most requests first. */
  operationTraffic(): OperationTraffic[] {
    return [...this.operations.values()].map((o) => ({ ...o })).sort((a, b) => b.requests - a.requests);
  }

  /** @returns client versions by name, then most requests first. */
  clientVersionTraffic(): ClientVersionTraffic[] {
    return [...this.clientVersions.values()].map((v) => ({ ...v })).sort((a, b) => a.clientName.localeCompare(b.clientName) || b.requests - a.requests);
  }

  /** @returns the latest refusals, newest first. */
  latestRefusals(): LimitRefusal[] {
    return [...this.refusals].reverse();
  }
}
