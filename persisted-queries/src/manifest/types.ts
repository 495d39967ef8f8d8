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
}

/** Thrown by {@link parseManifest} when the file is not one of the formats; the message says what was expected. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}
