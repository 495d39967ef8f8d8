import { CLOSE_CODES, roamError, type RoamError } from '@roam/errors';
import type { PipelinePlugin } from '../pipeline/types';
import type { ConnectionInfo } from '../subscriptions/types';
import { checkClientVersion, type ClientVersionVerdict } from './checkClientVersion';
import type { ClientVersionSettings } from './clientVersionsEnv';

/** Response header naming the recommended version when the client's is older (lower-case, as set). */
export const RECOMMENDED_VERSION_HEADER = 'roam-recommended-client-version';

/** @returns the error refusing a version below the minimum: `extensions` has `clientVersion`, `minimumVersion`, `upgradeUrl` (when configured). */
export function clientVersionUnsupported(verdict: ClientVersionVerdict & { kind: 'unsupported' }): RoamError {
  return roamError('CLIENT_VERSION_UNSUPPORTED', `Version ${verdict.clientVersion} of this app is no longer supported; the minimum is ${verdict.minimumVersion}. Please upgrade.`, {
    clientVersion: verdict.clientVersion,
    minimumVersion: verdict.minimumVersion,
    ...(verdict.upgradeUrl !== undefined ? { upgradeUrl: verdict.upgradeUrl } : {}),
  });
}

/**
 * App-version gating on the pipeline, for every transport (HTTP entries; graphql-ws operations are also refused
 * at `connection_init`, see {@link clientVersionConnectionCheck}):
 * - `resolveDocument` (the earliest stage: nothing is looked up, parsed or planned for a refused client): a
 *   version below `MIN_CLIENT_VERSIONS[clientName]` gets `CLIENT_VERSION_UNSUPPORTED` (HTTP 400);
 * - `willSendResult`: a version below `RECOMMENDED_CLIENT_VERSIONS[clientName]` gets the
 *   `Roam-Recommended-Client-Version` header and `extensions.clientVersion = { deprecated: true, recommendedVersion, upgradeUrl }`.
 *
 * @param settings - the minimum and recommended versions and upgrade URLs per client name.
 * @returns the plugin; it never throws.
 */
export function clientVersionsPlugin(settings: ClientVersionSettings): PipelinePlugin {
  return {
    name: 'client-versions',
    resolveDocument({ request }) {
      const verdict = checkClientVersion(settings, request.clientName, request.clientVersion);
      return verdict.kind === 'unsupported' ? clientVersionUnsupported(verdict) : undefined;
    },
    willSendResult({ request }, result) {
      const verdict = checkClientVersion(settings, request.clientName, request.clientVersion);
      if (verdict.kind !== 'deprecated') return;
      result.headers.set(RECOMMENDED_VERSION_HEADER, verdict.recommendedVersion);
      result.body.extensions = { ...result.body.extensions, clientVersion: deprecation(verdict) };
    },
  };
}

/** @returns the `extensions.clientVersion` value of a version below the recommended one. */
function deprecation(verdict: ClientVersionVerdict & { kind: 'deprecated' }): Record<string, unknown> {
  return { deprecated: true, recommendedVersion: verdict.recommendedVersion, ...(verdict.upgradeUrl !== undefined ? { upgradeUrl: verdict.upgradeUrl } : {}) };
}

/**
 * The `connection_ack` payload of the graphql-ws server: `{ clientVersion: { deprecated: true, recommendedVersion, upgradeUrl } }`
 * for a version below `RECOMMENDED_CLIENT_VERSIONS`, so a subscription-only client sees the warning too.
 *
 * @returns the payload builder (undefined = no payload).
 */
export function clientVersionAckPayload(settings: ClientVersionSettings): (info: ConnectionInfo) => Record<string, unknown> | undefined {
  return (info) => {
    const verdict = checkClientVersion(settings, info.sentClientName, info.clientVersion);
    return verdict.kind === 'deprecated' ? { clientVersion: deprecation(verdict) } : undefined;
  };
}

/** Longest WebSocket close reason, in bytes (RFC 6455 §5.5: a control frame's payload is at most 125 bytes, 2 of them the code). */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * The `connection_init` check of the graphql-ws server: a version below the minimum closes the socket with
 * 4426 and a JSON reason `{"code":"CLIENT_VERSION_UNSUPPORTED","minimumVersion":…,"upgradeUrl":…}`
 * (`upgradeUrl` left out when the reason would pass 123 bytes).
 *
 * @returns the check: the close code and reason, or undefined to accept.
 */
export function clientVersionConnectionCheck(settings: ClientVersionSettings): (info: ConnectionInfo) => { readonly code: number; readonly reason: string } | undefined {
  return (info) => {
    const verdict = checkClientVersion(settings, info.sentClientName, info.clientVersion);
    if (verdict.kind !== 'unsupported') return undefined;
    const { code } = CLOSE_CODES.CLIENT_VERSION_UNSUPPORTED;
    const short = { code: CLOSE_CODES.CLIENT_VERSION_UNSUPPORTED.reason, minimumVersion: verdict.minimumVersion };
    const full = JSON.stringify(verdict.upgradeUrl !== undefined ? { ...short, upgradeUrl: verdict.upgradeUrl } : short);
    return { code, reason: Buffer.byteLength(full) <= MAX_CLOSE_REASON_BYTES ? full : JSON.stringify(short) };
  };
}
