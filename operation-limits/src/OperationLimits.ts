/**
 * What the limits do (`LIMITS_MODE`, or `mode` per client): `enforce` rejects an operation over a limit,
 * `measure` only logs and counts it, `off` measures nothing and rejects nothing (the limits step and plugin
 * do no work, e.g. to price the limits in a benchmark). The request body size limit applies in every mode.
 */
export type LimitsMode = 'enforce' | 'measure' | 'off';

/** Every {@link LimitsMode}, in the order the README lists them. */
export const LIMITS_MODES = ['enforce', 'measure', 'off'] as const satisfies readonly LimitsMode[];

/**
 * The operation limits that apply to one request. Defaults come from the environment (see `limitsEnv.ts`
 * and the README's "Operation limits"); each can be overridden per client name.
 */
export interface OperationLimits {
  /** Largest estimated cost (demand-control units). Over it: `COST_ESTIMATED_TOO_EXPENSIVE`. */
  readonly maxCost: number;
  /** Deepest field nesting. Over it: `MAX_DEPTH_LIMIT`. */
  readonly maxDepth: number;
  /** Most aliased fields. Over it: `MAX_ALIASES_LIMIT`. */
  readonly maxAliases: number;
  /** Most fields on the root type. Over it: `MAX_ROOT_FIELDS_LIMIT`. */
  readonly maxRootFields: number;
  /** Most lexical tokens in the document. Over it: `MAX_TOKENS_LIMIT`. */
  readonly maxTokens: number;
  /** Longest document text, in UTF-8 bytes. Over it: `MAX_DOCUMENT_BYTES_LIMIT`. */
  readonly maxDocumentBytes: number;
  /** Most entries in a batch (JSON array). Over it: `BATCH_LIMIT_EXCEEDED`. */
  readonly maxBatchSize: number;
  /** Largest request body, in bytes. Over it: 413 `PAYLOAD_TOO_LARGE`. */
  readonly maxBodyBytes: number;
  /** `enforce` rejects, `measure` logs and counts only, `off` does neither. */
  readonly mode: LimitsMode;
}

/** The limits configuration: defaults, per-client overrides and the cost model's default list size. */
export interface LimitsSettings {
  readonly defaults: OperationLimits;
  /** Overrides by `apollographql-client-name`; unset fields fall back to `defaults`. */
  readonly byClient: Readonly<Record<string, Partial<OperationLimits>>>;
  /** Size of a list field with neither a slicing argument value nor `@listSize(assumedSize:)`. */
  readonly defaultListSize: number;
}

/**
 * @param settings - the limits configuration.
 * @param clientName - the request's `apollographql-client-name`, if sent.
 * @returns the limits for that client: its overrides over the defaults.
 */
export function limitsForClient(settings: LimitsSettings, clientName: string | undefined): OperationLimits {
  const overrides = clientName !== undefined && Object.prototype.hasOwnProperty.call(settings.byClient, clientName) ? settings.byClient[clientName] : undefined;
  return overrides ? { ...settings.defaults, ...overrides } : settings.defaults;
}

/** @returns the largest `maxBodyBytes` any client may use (the HTTP server's hard body limit). */
export function largestBodyLimit(settings: LimitsSettings): number {
  return Math.max(settings.defaults.maxBodyBytes, ...Object.values(settings.byClient).map((o) => o.maxBodyBytes ?? 0));
}
