import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A comma-separated list of names (`ios,android`), trimmed, empty entries dropped. */
const nameList = z
  .string()
  .regex(/^[\w.@/ ,-]*$/, 'expected comma-separated client names, e.g. "ios,android"')
  .transform((text) => [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ]);

/**
 * The zod shape of the environment variables of metrics and the access log (README "Observability"), spread
 * into the gateway's `config.ts` schema. Values are strings as in `process.env`; unset means the default:
 * `METRICS` (`on` | `off`, on), `METRICS_PORT` (a separate port for `/metrics`; unset = the main port),
 * `METRICS_CLIENT_NAMES` (comma-separated client names kept as label values; others become `other`; none),
 * `METRICS_MAX_CLIENT_VERSIONS` (distinct versions kept per known client before `other`, 20),
 * `ACCESS_LOG` (`off` or a pino level, off), `ACCESS_LOG_SAMPLE_RATE` (0–1, share of requests logged, 1),
 * `TRACING_OTLP_URL` (OTLP/HTTP traces endpoint, e.g. `http://collector:4318/v1/traces`; unset = no tracing),
 * `TRACING_SERVICE_NAME` (`service.name` of the spans, roam-gateway), `TRACING_SAMPLE_RATIO` (0–1, share of new traces
 * recorded; a client's `traceparent` decides for its own trace, 1).
 */
export const OBSERVABILITY_ENV_SHAPE = {
  METRICS: z.enum(['on', 'off']).default('on'),
  METRICS_PORT: int(0, 65535).optional(),
  METRICS_CLIENT_NAMES: nameList.default([]),
  METRICS_MAX_CLIENT_VERSIONS: int(0, 1000).default(20),
  ACCESS_LOG: z.enum(['off', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('off'),
  ACCESS_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(1),
  TRACING_OTLP_URL: z.url().optional(),
  TRACING_SERVICE_NAME: z.string().min(1).default('roam-gateway'),
  TRACING_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
};

/** The parsed values of {@link OBSERVABILITY_ENV_SHAPE}. */
export type ObservabilityEnv = z.output<z.ZodObject<typeof OBSERVABILITY_ENV_SHAPE>>;

/** Metrics and access-log settings (README "Observability"). */
export interface ObservabilitySettings {
  /** Whether `GET /metrics` is served and metrics are recorded. `METRICS`; @default true */
  readonly metricsEnabled: boolean;
  /** Port of a separate `/metrics` listener (on `HOST`); undefined = served on the main port. `METRICS_PORT`; @default undefined */
  readonly metricsPort: number | undefined;
  /** Client names used as label values as sent; any other name is `other`. `METRICS_CLIENT_NAMES`; @default [] */
  readonly metricsClientNames: readonly string[];
  /** Distinct versions kept as label values per known client; later ones are `other`. `METRICS_MAX_CLIENT_VERSIONS`; @default 20 */
  readonly metricsMaxClientVersions: number;
  /** pino level of access-log lines, or `off`. `ACCESS_LOG`; @default "off" */
  readonly accessLog: 'off' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Share of requests that get an access-log line, 0–1 (errors too). `ACCESS_LOG_SAMPLE_RATE`; @default 1 */
  readonly accessLogSampleRate: number;
  /** OTLP/HTTP (JSON) endpoint spans are exported to; undefined = tracing off. `TRACING_OTLP_URL`; @default undefined */
  readonly tracingOtlpUrl: string | undefined;
  /** `service.name` resource attribute of the spans. `TRACING_SERVICE_NAME`; @default "roam-gateway" */
  readonly tracingServiceName: string;
  /** Share (0–1) of traces the gateway starts that are recorded; a client's sampled flag decides for its own. `TRACING_SAMPLE_RATIO`; @default 1 */
  readonly tracingSampleRatio: number;
}

/**
 * @param env - the parsed values of {@link OBSERVABILITY_ENV_SHAPE}.
 * @returns the frozen settings.
 */
export function observabilitySettingsFromEnv(env: ObservabilityEnv): ObservabilitySettings {
  return Object.freeze({
    metricsEnabled: env.METRICS === 'on',
    metricsPort: env.METRICS_PORT,
    metricsClientNames: Object.freeze([...env.METRICS_CLIENT_NAMES]),
    metricsMaxClientVersions: env.METRICS_MAX_CLIENT_VERSIONS,
    accessLog: env.ACCESS_LOG,
    accessLogSampleRate: env.ACCESS_LOG_SAMPLE_RATE,
    tracingOtlpUrl: env.TRACING_OTLP_URL,
    tracingServiceName: env.TRACING_SERVICE_NAME,
    tracingSampleRatio: env.TRACING_SAMPLE_RATIO,
  });
}
