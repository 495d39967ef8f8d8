import { ManifestError, type Manifest, type ManifestEntry, type ManifestFormat } from './types';

const HEX_ID = /^(?:sha256:|sha1:)?(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SHA256_PREFIX = 'sha256:';

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function readApollo(value: Record<string, unknown>): ManifestEntry[] {
  if (value.version !== 1) throw new ManifestError(`Apollo persisted query manifest: expected "version": 1; got ${JSON.stringify(value.version)}.`);
  if (!Array.isArray(value.operations)) throw new ManifestError('Apollo persisted query manifest: expected "operations" to be an array.');
  return value.operations.map((op: unknown, index: number) => {
    const o = op as Record<string, unknown>;
    if (typeof o !== 'object' || o === null) throw new ManifestError(`operations[${index}]: expected an object.`);
    for (const key of ['id', 'body'] as const) {
      if (typeof o[key] !== 'string' || o[key] === '') throw new ManifestError(`operations[${index}]: expected "${key}" to be a non-empty string; got ${JSON.stringify(o[key])}.`);
    }
    for (const key of ['name', 'type', 'clientName'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'string') throw new ManifestError(`operations[${index}]: expected "${key}" to be a string; got ${JSON.stringify(o[key])}.`);
    }
    return {
      id: o.id as string,
      body: o.body as string,
      hashed: true,
      ...(o.name ? { name: o.name as string } : {}),
      ...(o.type ? { type: o.type as string } : {}),
      ...(o.clientName ? { clientName: o.clientName as string } : {}),
    };
  });
}

/**
 * Reads a persisted-operation manifest in one of three formats:
 * - `apollo`: Apollo's persisted query list, `{"format":"apollo-persisted-query-manifest","version":1,
 *   "operations":[{"id","name","type","body","clientName"?}]}` (ids are SHA-256 of `body`);
 * - `codegen`: GraphQL Code Generator client-preset `persisted-documents.json`, `{"<hash>":"<document>"}`;
 *   keys may carry the `sha256:` prefix (client-preset 6 writes `"sha256:<hex>"`), which is removed from the id;
 * - `relay`: Relay's persisted queries, `{"<id>":"<text>"}` with free-form ids (md5 by default).
 *
 * Without `format`, an object with `"format"` is Apollo's; a string map whose keys are all 40- or
 * 64-digit lowercase hex is Code Generator's (so a SHA-1 manifest is read as hashed and then fails the
 * SHA-256 check instead of slipping in as Relay ids); any other string map is Relay's.
 *
 * @param value - the decoded JSON.
 * @param format - force a format.
 * @throws ManifestError saying what was expected and what came.
 */
export function parseManifest(value: unknown, format?: ManifestFormat): Manifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ManifestError(`Expected a JSON object; got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.`);
  const v = value as Record<string, unknown>;
  const detected: ManifestFormat = format ?? ('format' in v ? 'apollo' : isStringMap(v) && Object.keys(v).every((k) => HEX_ID.test(k)) ? 'codegen' : 'relay');
  switch (detected) {
    case 'apollo':
      if (v.format !== 'apollo-persisted-query-manifest') throw new ManifestError(`Expected "format": "apollo-persisted-query-manifest"; got ${JSON.stringify(v.format)}.`);
      return { format: detected, entries: readApollo(v) };
    case 'codegen':
    case 'relay': {
      if (!isStringMap(v)) {
        const bad = Object.entries(v).find(([, text]) => typeof text !== 'string');
        throw new ManifestError(`Expected {"<id>": "<document>"} with string values; "${bad?.[0]}" is ${typeof bad?.[1]}.`);
      }
      return {
        format: detected,
        entries: Object.entries(v).map(([key, body]) => ({
          id: detected === 'codegen' && key.startsWith(SHA256_PREFIX) ? key.slice(SHA256_PREFIX.length) : key,
          body,
          hashed: detected === 'codegen',
        })),
      };
    }
    default: {
      const never: never = detected;
      throw new ManifestError(`Unknown manifest format ${String(never)}`);
    }
  }
}
