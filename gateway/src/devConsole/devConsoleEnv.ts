import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * The zod shape of the developer console's settings (README "Developer console and sandbox"), spread into the
 * gateway's `config.ts` schema: `NODE_ENV` (only `production` matters: it turns the console off by default),
 * `DEV_CONSOLE` (`on` | `off`; default `off` when `NODE_ENV=production`, else `on`), `DEV_CONSOLE_TOKEN` (the
 * token the pages ask for, 16–256 characters of `[A-Za-z0-9._~-]`; unset = a random one made at start and logged
 * once with the console's URL).
 */
export const DEV_CONSOLE_ENV_SHAPE = {
  NODE_ENV: z.string().optional(),
  DEV_CONSOLE: z.enum(['on', 'off']).optional(),
  DEV_CONSOLE_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{16,256}$/, 'expected 16 to 256 characters of A-Z a-z 0-9 . _ ~ -')
    .optional(),
};

/** The parsed values of {@link DEV_CONSOLE_ENV_SHAPE}. */
export type DevConsoleEnv = z.output<z.ZodObject<typeof DEV_CONSOLE_ENV_SHAPE>>;

/** The developer console's settings. */
export interface DevConsoleSettings {
  /** Whether `/console`, its JSON and the GraphiQL sandbox (`GET /graphql` from a browser) are served. */
  readonly enabled: boolean;
  /** The token every page and the JSON ask for (query `?token=`, the `roam_console` cookie it sets, or `Authorization: Bearer`). */
  readonly token: string;
  /** Whether {@link token} was generated at start (then the start-up log shows it). */
  readonly generatedToken: boolean;
}

/**
 * @param env - the parsed values of {@link DEV_CONSOLE_ENV_SHAPE}.
 * @param randomToken - makes a token when none is set. @default 32 random hex characters (`crypto.randomBytes(16)`)
 * @returns the frozen settings.
 */
export function devConsoleSettingsFromEnv(env: DevConsoleEnv, randomToken: () => string = () => randomBytes(16).toString('hex')): DevConsoleSettings {
  const enabled = (env.DEV_CONSOLE ?? (env.NODE_ENV === 'production' ? 'off' : 'on')) === 'on';
  const token = env.DEV_CONSOLE_TOKEN ?? (enabled ? randomToken() : '');
  return Object.freeze({ enabled, token, generatedToken: enabled && env.DEV_CONSOLE_TOKEN === undefined });
}
