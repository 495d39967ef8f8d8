import type { PipelinePlugin } from '../pipeline/types';
import type { CheckOperation, ConnectionInfo, ResolveOperation } from './types';

/** An embedder's replacements for the WebSocket front door (`GatewayHooks`). */
export interface FrontDoorHooks {
  /** Replaces the persisted-query and document-limits stages for WebSocket operations. */
  readonly resolve?: ResolveOperation;
  /** Replaces the operation-limits check for WebSocket subscriptions. */
  readonly check?: CheckOperation;
}

/**
 * Embedders' front-door hooks as a pipeline concern on the WebSocket pipeline: `resolve` turns the `subscribe`
 * payload into text (in place of the persisted-query plugin), `check` checks a subscription (in place of the
 * limits plugin). Their errors are sent as they are (one `error` message).
 *
 * @param hooks - the embedder's hooks.
 * @returns the plugin; a hook that throws fails the operation with `INTERNAL_SERVER_ERROR` (logged).
 */
export function frontDoorHooksPlugin(hooks: FrontDoorHooks): PipelinePlugin {
  const connectionOf = (context: unknown): ConnectionInfo => context as ConnectionInfo;
  return {
    name: 'front-door-hooks',
    async resolveDocument(ctx) {
      if (!hooks.resolve) return undefined;
      const { entry } = ctx;
      const resolved = await hooks.resolve({ ...entry, query: entry.query ?? '' }, connectionOf(ctx.request.transportContext));
      if ('errors' in resolved) return resolved.errors[0];
      if (resolved.query !== entry.query) delete ctx.documentHash; // a key set by an earlier stage named the old text
      ctx.entry = { query: resolved.query, ...(entry.operationName !== undefined ? { operationName: entry.operationName } : {}), ...(entry.variables ? { variables: entry.variables } : {}) };
      return undefined;
    },
    async checkOperation(ctx) {
      const { document, operation, entry } = ctx;
      if (!hooks.check || !document || operation?.operation !== 'subscription') return undefined;
      const variables = entry.variables ?? {};
      const refused = await hooks.check({ document, operationName: entry.operationName, variables, requestVariables: variables, query: entry.query ?? '' }, connectionOf(ctx.request.transportContext));
      return refused?.[0];
    },
  };
}
