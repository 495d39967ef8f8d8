import { checkDocument, limitsForClient, schemaFromSupergraph, type LimitsSettings } from '@roam/operation-limits';
import type { GraphQLSchema } from 'graphql';
import type { CheckProblem, CheckReport, ManifestCheck } from './checks';

/** Options of {@link createOperationLimitsCheck}. */
export interface OperationLimitsCheckOptions {
  /** The limits, e.g. `readLimitsSettings(env)` (the gateway's `MAX_COST`, `MAX_DEPTH`, … variables). */
  readonly settings: LimitsSettings;
  /**
   * The client whose limits apply (`roam-pq --client-name`, i.e. `LIMITS_BY_CLIENT[clientName]` over the
   * defaults). When undefined, an Apollo manifest entry's own `clientName` is used, else the defaults.
   */
  readonly clientName?: string;
}

/**
 * The operation-limits check of `roam-pq verify` and `push` (issue 3 item 2, issue 4 item 7): runs
 * `checkDocument` of `@roam/operation-limits` on the entry against the schema built from the supergraph
 * SDL with its `@cost`/`@listSize` directives (as the gateway's `OperationLimiter` does), so an operation
 * the gateway would reject for its cost, depth, aliases, root fields, tokens or size is refused before it
 * is registered.
 *
 * Each problem names the operation and carries the limit's code, the measured value and the limit. The
 * measurements are the entry's estimated `cost` (the largest of its operations; null when it cannot be
 * estimated), `maxCost`, `depth`, `aliases`, `rootFields`, `tokens` and `documentBytes`. In `measure` and
 * `off` mode (`LIMITS_MODE=measure|off`) the gateway lets such operations through, so the check only measures. A
 * document that does not parse or validate gives no problem here (`documentIsValid` reports it).
 *
 * @returns a {@link ManifestCheck} returning a {@link CheckReport}; it builds the cost schema once per
 *   supergraph SDL (falling back to the API schema, without cost directives, when the context has no SDL).
 */
export function createOperationLimitsCheck(options: OperationLimitsCheckOptions): ManifestCheck {
  let built: { sdl: string; schema: GraphQLSchema } | undefined;
  return (entry, context): CheckReport => {
    let schema = context.schema;
    if (context.supergraphSdl !== undefined) {
      if (built?.sdl !== context.supergraphSdl) built = { sdl: context.supergraphSdl, schema: schemaFromSupergraph(context.supergraphSdl) };
      schema = built.schema;
    }
    const limits = limitsForClient(options.settings, options.clientName ?? entry.clientName);
    const check = checkDocument(schema, entry.body, limits, { defaultListSize: options.settings.defaultListSize });
    if (check.errors.length > 0) return { problems: [] };
    const costs = check.operations.map((o) => o.cost);
    const measurements = {
      cost: costs.length === 0 || costs.includes(null) ? null : Math.max(...(costs as number[])),
      maxCost: limits.maxCost,
      depth: Math.max(0, ...check.operations.map((o) => o.depth)),
      aliases: Math.max(0, ...check.operations.map((o) => o.aliases)),
      rootFields: Math.max(0, ...check.operations.map((o) => o.rootFields)),
      tokens: check.tokens,
      documentBytes: check.documentBytes,
    };
    const named = check.operations.flatMap((o) => (o.name === null ? [] : [o.name]));
    const operationNames = named.length > 0 ? { operationNames: named.join(', ') } : {};
    if (limits.mode !== 'enforce') return { problems: [], measurements, ...operationNames };
    const problems: CheckProblem[] = check.problems.map((v) => ({ message: `the document: ${v.message} [${v.code}]`, code: v.code, measured: v.measured, limit: v.limit }));
    for (const operation of check.operations) {
      const label = operation.name === null ? 'the anonymous operation' : `operation ${operation.name}`;
      for (const p of operation.problems) {
        problems.push(
          'measured' in p ? { message: `${label}: ${p.message} [${p.code}]`, code: p.code, measured: p.measured, limit: p.limit } : { message: `${label}: ${p.message} [${p.code}]`, code: p.code },
        );
      }
    }
    return { problems, measurements, ...operationNames };
  };
}
