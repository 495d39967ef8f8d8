/** The manifest formats `roam-pq` reads. */
export type ManifestFormat = 'apollo' | 'codegen' | 'relay';

/** All formats, for option parsing and messages. */
export const MANIFEST_FORMATS: readonly ManifestFormat[] = ['apollo', 'codegen', 'relay'];

/** One operation read from a manifest. */
export interface ManifestEntry {
  /** The id clients send. */
  readonly id: string;
  /** The exact document text. */
  readonly body: string;
  readonly name?: string;
  /** `query` | `mutation` | `subscription` (Apollo manifests give it). */
  readonly type?: string;
  /** Apollo manifests may scope one operation to a client. */
  readonly clientName?: string;
  /** Whether the format defines `id` as the SHA-256 hex of `body` (Apollo, Code Generator) or leaves it free (Relay). */
  readonly hashed: boolean;
}

/** A manifest read by {@link parseManifest}. */
export interface Manifest {
  readonly format: ManifestFormat;
  readonly entries: readonly ManifestEntry[];
}

/** A problem with one entry (or the whole manifest when `id` is undefined). */
export interface EntryProblem {
  readonly id: string | undefined;
  readonly name?: string;
  readonly message: string;
  /** For a limit: its code (e.g. `COST_ESTIMATED_TOO_EXPENSIVE`), the measured value and the limit. */
  readonly code?: string;
  readonly measured?: number;
  readonly limit?: number;
}

/** What the checks measured of one entry (e.g. its estimated cost and the cost limit), for the CLI's output. */
export interface EntryMeasurements {
  readonly id: string;
  readonly name?: string;
  /** Values by name (`cost`, `maxCost`, `depth`, …); null when a value could not be measured. */
  readonly values: Readonly<Record<string, number | null>>;
}

/** Thrown by {@link parseManifest} when the file is not one of the formats; the message says what was expected. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}
