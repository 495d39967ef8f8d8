import { roamError } from '@roam/errors';
import { BREAK, visit } from 'graphql';
import type { PipelinePlugin } from '../pipeline/types';

/**
 * Refuses introspection (`__schema`, `__type`; `__typename` stays allowed) when `INTROSPECTION=off`, the default
 * under `NODE_ENV=production` (issue 18 item 9). Apollo Server's behaviour and message: 400
 * `GRAPHQL_VALIDATION_FAILED`, before any subgraph call.
 */
export function introspectionPlugin(): PipelinePlugin {
  return {
    name: 'introspection',
    checkOperation(ctx) {
      let found = false;
      visit(ctx.document!, {
        Field(node) {
          if (node.name.value === '__schema' || node.name.value === '__type') {
            found = true;
            return BREAK;
          }
          return undefined;
        },
      });
      return found
        ? roamError('GRAPHQL_VALIDATION_FAILED', 'GraphQL introspection is not allowed by this gateway, but the query contained __schema or __type. Set INTROSPECTION=on to enable it.')
        : undefined;
    },
  };
}
