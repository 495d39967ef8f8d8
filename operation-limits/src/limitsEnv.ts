import { BLANK_SETTING_MESSAGE, blankSettings } from '@roam/errors';
import { z } from 'zod';
import { LIMITS_MODES, type LimitsSettings } from './OperationLimits';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const limitOverrides = z
  .object({
    maxCost: int(0, Number.MAX_SAFE_INTEGER),
    maxDepth: int(1, 10_000),
    maxAliases: int(0, 100_000),
    maxRootFields: int(1, 100_000),
    maxTokens: int(1, 10_000_000),
    maxDocumentBytes: int(1, 100 * 1024 * 1024),
    maxBatchSize: int(1, 10_000),
    maxBodyBytes: int(1024, 100 * 1024 * 1024),
    mode: z.enum(LIMITS_MODES),
  })
  .partial()
  .strict();

const jsonObject = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a JSON object, e.g. {"ios":{"maxCost":5000}}' });
    return z.NEVER;
  }
});

/**
 * The zod shape of the environment variables that set the operation limits (README "Operation limits"),
 * shared by the gateway's `config.ts` (which spreads it into its schema) and `roam-pq` (which checks
 * manifests against the same limits). Values are strings as in `process.env`; unset means the default:
 * `MAX_COST` (cost units, 1000000), `MAX_DEPTH` (15), `MAX_ALIASES` (30), `MAX_ROOT_FIELDS` (20),
 * `MAX_TOKENS` (5000), `MAX_DOCUMENT_BYTES` (bytes, 65536), `MAX_BATCH_SIZE` (20), `MAX_BODY_BYTES`
 * (bytes, 1048576), `LIMITS_MODE` (`enforce` | `measure` | `off`, enforce), `LIMITS_BY_CLIENT` (JSON object: client name →
 * partial limits, {}), `COST_DEFAULT_LIST_SIZE` (10).
 */
export const LIMITS_ENV_SHAPE = {
  MAX_BODY_BYTES: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
  MAX_COST: int(0, Number.MAX_SAFE_INTEGER).default(1_000_000),
  MAX_DEPTH: int(1, 10_000).default(15),
  MAX_ALIASES: int(0, 100_000).default(30),
  MAX_ROOT_FIELDS: int(1, 100_000).default(20),
  MAX_TOKENS: int(1, 10_000_000).default(5000),
  MAX_DOCUMENT_BYTES: int(1, 100 * 1024 * 1024).default(64 * 1024),
  MAX_BATCH_SIZE: int(1, 10_000).default(20),
  LIMITS_MODE: z.enum(LIMITS_MODES).default('enforce'),
  LIMITS_BY_CLIENT: jsonObject.pipe(z.record(z.string(), limitOverrides)).default({}),
  COST_DEFAULT_LIST_SIZE: int(0, 1_000_000).default(10),
};

const limitsEnvSchema = z.object(LIMITS_ENV_SHAPE);

/** The parsed values of {@link LIMITS_ENV_SHAPE} (numbers, the mode, the per-client overrides). */
export type LimitsEnv = z.output<typeof limitsEnvSchema>;

/** Names of the environment variables in {@link LIMITS_ENV_SHAPE}. */
export const LIMITS_ENV_VARIABLES = Object.keys(LIMITS_ENV_SHAPE) as readonly (keyof typeof LIMITS_ENV_SHAPE)[];

/**
 * @param env - values parsed with {@link LIMITS_ENV_SHAPE}.
 * @returns the frozen {@link LimitsSettings} they describe.
 */
export function limitsSettingsFromEnv(env: LimitsEnv): LimitsSettings {
  return Object.freeze({
    defaults: Object.freeze({
      maxCost: env.MAX_COST,
      maxDepth: env.MAX_DEPTH,
      maxAliases: env.MAX_ALIASES,
      maxRootFields: env.MAX_ROOT_FIELDS,
      maxTokens: env.MAX_TOKENS,
      maxDocumentBytes: env.MAX_DOCUMENT_BYTES,
      maxBatchSize: env.MAX_BATCH_SIZE,
      maxBodyBytes: env.MAX_BODY_BYTES,
      mode: env.LIMITS_MODE,
    }),
    byClient: Object.freeze(env.LIMITS_BY_CLIENT),
    defaultListSize: env.COST_DEFAULT_LIST_SIZE,
  });
}

/** Thrown by {@link readLimitsSettings}; its message lists every bad variable, what it got and what it accepts. */
export class LimitsConfigError extends Error {
  override readonly name = 'LimitsConfigError';
}

/**
 * Reads the limits from an environment object (it does not read `process.env` itself: the caller's
 * config module passes it). Empty strings count as unset; a value of only whitespace is refused (never read as 0).
 *
 * @param env - e.g. the `env` a CLI was given.
 * @returns the frozen {@link LimitsSettings}.
 * @throws LimitsConfigError naming every invalid variable at once.
 */
export function readLimitsSettings(env: Readonly<Record<string, string | undefined>>): LimitsSettings {
  const { input, blank } = blankSettings(Object.fromEntries(LIMITS_ENV_VARIABLES.map((name) => [name, env[name]])));
  const parsed = limitsEnvSchema.safeParse(input);
  if (!parsed.success || blank.length > 0) {
    const lines = blank.map((name) => `  ${name}=${JSON.stringify(env[name])}: ${BLANK_SETTING_MESSAGE}`);
    for (const issue of parsed.error?.issues ?? []) {
      const name = String(issue.path[0]);
      if (blank.includes(name)) continue;
      const where = issue.path.length > 1 ? `${issue.path.slice(1).join('.')}: ` : '';
      lines.push(`  ${name}=${JSON.stringify(input[name])}: ${where}${issue.message}`);
    }
    throw new LimitsConfigError(`Invalid operation limits:\n${lines.join('\n')}`);
  }
  return limitsSettingsFromEnv(parsed.data);
}
