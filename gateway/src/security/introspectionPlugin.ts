import { roamError } from '@roam/errors';
import { BREAK, visit } from 'graphql';
import type { DocumentNode } from 'graphql';
import type { PipelinePlugin } from '../pipeline/types';

/** Whether a document selects `__schema` or `__type` anywhere. */
function selectsIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Refuses introspection (`__schema`, `__type`; `__typename` stays allowed) when `INTROSPECTION=off`, the default
 * under `NODE_ENV=production` (issue 18 item 9). Apollo Server's behaviour and message: 400
 * `GRAPHQL_VALIDATION_FAILED`, before any subgraph call. The verdict is kept per parsed document (a WeakMap).
 */
export function introspectionPlugin(): PipelinePlugin {
  // per parsed document (the supergraph snapshot caches parsed documents per text): one walk per document, not per request
  const verdicts = new WeakMap<DocumentNode, boolean>();
  return {
    name: 'introspection',
    checkOperation(ctx) {
      const document = ctx.document!;
      let found = verdicts.get(document);
      if (found === undefined) verdicts.set(document, (found = selectsIntrospection(document)));
      return found
        ? roamError('GRAPHQL_VALIDATION_FAILED', 'GraphQL introspection is not allowed by this gateway, but the query contained __schema or __type. Set INTROSPECTION=on to enable it.')
        : undefined;
    },
  };
}
