import semver from 'semver';
import type { ClientVersionSettings } from './clientVersionsEnv';

/** What {@link checkClientVersion} decided for one client name and version. */
export type ClientVersionVerdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'unsupported'; readonly clientVersion: string; readonly minimumVersion: string; readonly upgradeUrl?: string }
  | { readonly kind: 'deprecated'; readonly clientVersion: string; readonly recommendedVersion: string; readonly upgradeUrl?: string };

/**
 * Compares a client's version with its minimum and recommended versions (semver precedence, SemVer 2.0.0 §11;
 * a version sent loosely, e.g. `3.1` or `3.1.0 (45)`, is read with `semver.coerce`). A client name without a
 * setting, no version, or a version that is not version-like is never refused (nothing to compare).
 *
 * @param settings - the configured minimum and recommended versions and upgrade URLs.
 * @param clientName - `apollographql-client-name`, as sent.
 * @param clientVersion - `apollographql-client-version`, as sent.
 * @returns `unsupported` below the minimum, `deprecated` below the recommended version, else `ok`.
 */
export function checkClientVersion(settings: ClientVersionSettings, clientName: string | undefined, clientVersion: string | undefined): ClientVersionVerdict {
  if (clientName === undefined || clientVersion === undefined) return OK;
  const minimum = own(settings.minimum, clientName);
  const recommended = own(settings.recommended, clientName);
  if (minimum === undefined && recommended === undefined) return OK;
  const version = semver.valid(clientVersion) ?? semver.coerce(clientVersion, { includePrerelease: true })?.version;
  if (!version) return OK;
  const upgradeUrl = own(settings.upgradeUrls, clientName);
  const url = upgradeUrl === undefined ? {} : { upgradeUrl };
  if (minimum !== undefined && semver.lt(version, minimum)) return { kind: 'unsupported', clientVersion, minimumVersion: minimum, ...url };
  if (recommended !== undefined && semver.lt(version, recommended)) return { kind: 'deprecated', clientVersion, recommendedVersion: recommended, ...url };
  return OK;
}

const OK: ClientVersionVerdict = { kind: 'ok' };

function own(record: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
