import { BLANK_SETTING_MESSAGE, blankSettings } from '@roam/errors';
import { z } from 'zod';

/** Settings of the lists subgraph beyond the kit's (`PORT`, `HOST`, `LOG_LEVEL`, `REDIS_URL`…), read once at start. */
export interface ListsConfig {
  /** PostgreSQL URL. `LISTS_DATABASE_URL`; @default undefined (embedded PGlite) */
  readonly databaseUrl: string | undefined;
  /** PGlite data directory. `LISTS_PGLITE_DIR`; @default undefined (in memory: lost on exit) */
  readonly pgliteDir: string | undefined;
  /** Largest accepted lead of a change's clock over the server's, in ms. `LISTS_MAX_CLOCK_DRIFT_MS`; @default 60000 */
  readonly maxClockDriftMs: number;
  /** The signed-in user (the gateway has no authentication yet). `LISTS_USER_ID`; @default "1" (the reference data's `me`) */
  readonly userId: string;
}

const schema = z.object({
  LISTS_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected postgres://user@host:port/db')
    .optional(),
  LISTS_PGLITE_DIR: z.string().min(1).optional(),
  LISTS_MAX_CLOCK_DRIFT_MS: z.coerce.number().int().min(0).default(60_000),
  LISTS_USER_ID: z.string().min(1).default('1'),
});

/**
 * Reads the lists subgraph's settings from the environment. Empty values count as unset; only whitespace is refused.
 * @returns a frozen {@link ListsConfig}.
 * @throws Error naming every invalid variable and what it accepts.
 */
export function readListsConfig(env: NodeJS.ProcessEnv = process.env): ListsConfig {
  const raw = {
    LISTS_DATABASE_URL: env.LISTS_DATABASE_URL,
    LISTS_PGLITE_DIR: env.LISTS_PGLITE_DIR,
    LISTS_MAX_CLOCK_DRIFT_MS: env.LISTS_MAX_CLOCK_DRIFT_MS,
    LISTS_USER_ID: env.LISTS_USER_ID,
  };
  // Only whitespace is refused: zod's number coercion read LISTS_MAX_CLOCK_DRIFT_MS=" " as 0.
  const { input, blank } = blankSettings(raw);
  const parsed = schema.safeParse(input);
  if (!parsed.success || blank.length > 0) {
    const lines = blank.map((name) => `  ${name}: ${BLANK_SETTING_MESSAGE} (got ${JSON.stringify(raw[name as keyof typeof raw])})`);
    for (const i of parsed.error?.issues ?? []) if (!blank.includes(String(i.path[0]))) lines.push(`  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(input[String(i.path[0])])})`);
    throw new Error(`Invalid lists configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return Object.freeze({ databaseUrl: c.LISTS_DATABASE_URL, pgliteDir: c.LISTS_PGLITE_DIR, maxClockDriftMs: c.LISTS_MAX_CLOCK_DRIFT_MS, userId: c.LISTS_USER_ID });
}
