import semver from 'semver';
import { z } from 'zod';

const jsonObject = (example: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a JSON object like ${example}` });
      return z.NEVER;
    }
  });

const versions = jsonObject('{"ios":"3.0.0","android":"3.1.0"}').pipe(
  z.record(
    z.string().min(1),
    z.string().refine((v) => semver.valid(v) !== null, { message: 'each version must be a semver version such as "3.0.0"' }),
  ),
);

const urls = jsonObject('{"ios":"https://apps.apple.com/app/id123"}').pipe(z.record(z.string().min(1), z.url()));

/**
 * The zod shape of the app-version settings (README "App versions"), spread into the gateway's `config.ts` schema:
 * `MIN_CLIENT_VERSIONS` (JSON object client name → semver version; older versions are refused, {}),
 * `RECOMMENDED_CLIENT_VERSIONS` (same shape; older versions get a deprecation warning, {}),
 * `CLIENT_UPGRADE_URLS` (JSON object client name → URL sent with both, {}).
 */
export const CLIENT_VERSIONS_ENV_SHAPE = {
  MIN_CLIENT_VERSIONS: versions.default({}),
  RECOMMENDED_CLIENT_VERSIONS: versions.default({}),
  CLIENT_UPGRADE_URLS: urls.default({}),
};

/** The parsed values of {@link CLIENT_VERSIONS_ENV_SHAPE}. */
export type ClientVersionsEnv = z.output<z.ZodObject<typeof CLIENT_VERSIONS_ENV_SHAPE>>;

/** App-version gating per client name (`apollographql-client-name`). */
export interface ClientVersionSettings {
  /** Client name → lowest version served. `MIN_CLIENT_VERSIONS`; @default {} */
  readonly minimum: Readonly<Record<string, string>>;
  /** Client name → version below which responses carry a deprecation warning. `RECOMMENDED_CLIENT_VERSIONS`; @default {} */
  readonly recommended: Readonly<Record<string, string>>;
  /** Client name → where users get a newer version. `CLIENT_UPGRADE_URLS`; @default {} */
  readonly upgradeUrls: Readonly<Record<string, string>>;
}

/**
 * @param env - the parsed values of {@link CLIENT_VERSIONS_ENV_SHAPE}.
 * @returns the frozen settings.
 */
export function clientVersionSettingsFromEnv(env: ClientVersionsEnv): ClientVersionSettings {
  return Object.freeze({
    minimum: Object.freeze({ ...env.MIN_CLIENT_VERSIONS }),
    recommended: Object.freeze({ ...env.RECOMMENDED_CLIENT_VERSIONS }),
    upgradeUrls: Object.freeze({ ...env.CLIENT_UPGRADE_URLS }),
  });
}
