/** Label value of a client that sent no name (or no version). */
export const NO_CLIENT = 'none';
/** Label value of every client name (or version) past the bound. */
export const OTHER_CLIENT = 'other';

/** Versions accepted as label values: short, version-like (`3.1.0`, `3.1.0-beta.2+45`). */
const VERSION_SHAPE = /^[0-9A-Za-z.+_-]{1,32}$/;

/** A client's `{ name, version }` label values, bounded. */
export interface ClientLabelValues {
  readonly clientName: string;
  readonly clientVersion: string;
}

/**
 * Bounds the client name and version label values so a hostile `apollographql-client-name` or
 * `apollographql-client-version` header cannot create unbounded time series (Prometheus "Use labels"
 * guidance): names outside `knownNames` become `other`; each known name keeps its first
 * `maxVersionsPerClient` version-like values as sent, later ones become `other`; absent values are `none`.
 */
export class ClientLabels {
  private readonly known: ReadonlySet<string>;
  private readonly versions = new Map<string, Set<string>>();

  /**
   * @param knownNames - client names used as label values as sent (`METRICS_CLIENT_NAMES`).
   * @param maxVersionsPerClient - distinct versions kept per known client (`METRICS_MAX_CLIENT_VERSIONS`).
   */
  constructor(
    knownNames: readonly string[],
    private readonly maxVersionsPerClient: number,
  ) {
    this.known = new Set(knownNames);
  }

  /**
   * @param name - the client name as sent, or undefined.
   * @param version - the client version as sent, or undefined.
   * @returns the bounded label values.
   */
  of(name: string | undefined, version: string | undefined): ClientLabelValues {
    if (name === undefined || name === '') return { clientName: NO_CLIENT, clientVersion: version === undefined ? NO_CLIENT : OTHER_CLIENT };
    if (!this.known.has(name)) return { clientName: OTHER_CLIENT, clientVersion: OTHER_CLIENT };
    return { clientName: name, clientVersion: this.version(name, version) };
  }

  private version(name: string, version: string | undefined): string {
    if (version === undefined || version === '') return NO_CLIENT;
    if (!VERSION_SHAPE.test(version)) return OTHER_CLIENT;
    let seen = this.versions.get(name);
    if (!seen) this.versions.set(name, (seen = new Set()));
    if (seen.has(version)) return version;
    if (seen.size >= this.maxVersionsPerClient) return OTHER_CLIENT;
    seen.add(version);
    return version;
  }
}
