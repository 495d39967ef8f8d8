import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { dataTagOf } from '../http/etag';
import { jsonDiff, type PatchOperation } from './jsonDiff';
import type { ResponseCacheStore } from './ResponseCacheStore';

/** What {@link DeltaResponder} needs. */
export interface DeltaResponderOptions {
  /** Where base versions are kept (the response cache's store). */
  readonly store: ResponseCacheStore;
  /** Base versions kept per operation, variables and scope. */
  readonly maxVersions: number;
  /** How long a base version is kept, in ms. */
  readonly maxAgeMs: number;
  readonly logger: Logger;
  /**
   * Told the answer to every request with `A-IM: json-patch` (metrics): `patch` (226, with the JSON bytes it saved),
   * `not_modified` (304), `full` (200), and the request's `apollographql-client-name`; must not throw. @default none
   */
  readonly onOutcome?: (outcome: 'patch' | 'not_modified' | 'full', savedBytes: number, clientName: string | undefined) => void;
}

/** A delta answer: the patch to send with 226 instead of the full response. */
export interface Delta {
  /** RFC 6902 operations turning the client's base version into the current response. */
  readonly patch: PatchOperation[];
  /** `patch` as JSON text. */
  readonly text: string;
  /** The data tag of the version the patch applies to (RFC 3229 §10.5.2 `Delta-Base`). */
  readonly base: string;
}

/** @returns whether an `A-IM` header value (RFC 3229 §10.5.3) lists `json-patch`. */
export function acceptsJsonPatch(aIm: string | undefined): boolean {
  return aIm !== undefined && aIm.split(',').some((im) => im.split(';')[0]!.trim().toLowerCase() === 'json-patch');
}

/**
 * Delta updates (RFC 3229 with RFC 6902 patches; issue 14 "Delta updates"): for a single query whose
 * request says `A-IM: json-patch`, keeps the response's JSON text as a base version under its `ETag`, per
 * operation, variables and caller scope (`authorization` and `cookie`, so a patch never reveals another
 * caller's response), newest first, at most `maxVersions` for `maxAgeMs`. When the request's `If-None-Match`
 * names an older version still kept, {@link respond} returns the patch from it to the current response,
 * unless the patch is not smaller than the response itself.
 */
export class DeltaResponder {
  constructor(private readonly options: DeltaResponderOptions) {}

  /**
   * @param entry - the decoded request entry (`query`/`documentId`/`extensions.persistedQuery`, `operationName`, `variables`).
   * @param headers - the request headers (lower-case names): `a-im`, `if-none-match`, `authorization`, `cookie`.
   * @param etag - the current response's data tag (`etagOf`; not matched by `If-None-Match`: that was a 304).
   * @param jsonText - the current response's JSON text.
   * @returns the patch to send with 226, or undefined (send the full response): no `A-IM: json-patch`, no
   *   known base, a patch not smaller than the response, or a failing store (logged).
   */
  async respond(entry: unknown, headers: ReadonlyMap<string, string>, etag: string, jsonText: string): Promise<Delta | undefined> {
    if (!acceptsJsonPatch(headers.get('a-im'))) return undefined;
    const delta = await this.patchFor(entry, headers, etag, jsonText);
    this.options.onOutcome?.(delta ? 'patch' : 'full', delta ? Buffer.byteLength(jsonText) - Buffer.byteLength(delta.text) : 0, headers.get('apollographql-client-name'));
    return delta;
  }

  /**
   * Reports a 304 Not Modified answered to a request before {@link respond} (its `If-None-Match` named the
   * current version); counted only when the request said `A-IM: json-patch`.
   * @param headers - the request headers (lower-case names).
   */
  notModified(headers: ReadonlyMap<string, string>): void {
    if (acceptsJsonPatch(headers.get('a-im'))) this.options.onOutcome?.('not_modified', 0, headers.get('apollographql-client-name'));
  }

  private async patchFor(entry: unknown, headers: ReadonlyMap<string, string>, etag: string, jsonText: string): Promise<Delta | undefined> {
    const opKey = operationKey(entry, headers);
    if (!opKey) return undefined;
    const bases = (headers.get('if-none-match') ?? '')
      .split(',')
      .map(dataTagOf) // base versions are kept per data: any representation's tag names one
      .filter((t) => /^"[A-Za-z0-9_-]{1,64}"$/.test(t) && t !== etag);
    let delta: Delta | undefined;
    try {
      for (const base of bases.slice(0, 4)) {
        const text = await this.options.store.getBase(opKey, base);
        if (text === undefined) continue;
        const patch = jsonDiff(JSON.parse(text), JSON.parse(jsonText));
        const patchText = JSON.stringify(patch);
        if (patchText.length < jsonText.length) delta = { patch, text: patchText, base };
        break;
      }
      await this.options.store.putBase(opKey, etag, jsonText, this.options.maxVersions, this.options.maxAgeMs);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'delta base store failed; sending the full response');
    }
    return delta;
  }
}

/**
 * @returns the key of the versions one caller sees of one operation with one set of variables: the document
 *   (SHA-256 of its text, or its persisted id), the operation name, the variables and the credentials; undefined
 *   for an entry that is not an object.
 */
function operationKey(entry: unknown, headers: ReadonlyMap<string, string>): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  const e = entry as { query?: unknown; documentId?: unknown; operationName?: unknown; variables?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } };
  const document =
    typeof e.query === 'string'
      ? createHash('sha256').update(e.query).digest('hex')
      : typeof e.documentId === 'string'
        ? e.documentId.replace(/^sha256:/, '')
        : typeof e.extensions?.persistedQuery?.sha256Hash === 'string'
          ? e.extensions.persistedQuery.sha256Hash
          : '';
  const parts = [document, typeof e.operationName === 'string' ? e.operationName : '', JSON.stringify(e.variables ?? {}), headers.get('authorization') ?? '', headers.get('cookie') ?? ''];
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url');
}
