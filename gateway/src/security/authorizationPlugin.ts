import { roamError, type RoamError } from '@roam/errors';
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromASTUntyped,
  visit,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { documentHash } from '../supergraph/SupergraphSnapshot';
import type { SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import { formatErrors } from '../pipeline/formatErrors';
import type { OperationContext, PipelinePlugin } from '../pipeline/types';
import type { VerifiedPrincipal } from './Authenticator';

/** What a schema element asks of the caller: authentication, and scopes (any one inner list, all of its scopes). */
interface Requirement {
  readonly authenticated: boolean;
  /** `@requiresScopes(scopes: [[a, b], [c]])`: (a AND b) OR c. Several requirements on one field are ANDed. */
  readonly scopes: readonly (readonly (readonly string[])[])[];
}

/** The authorization directives of one supergraph: by `Type.field` and by type name. */
interface Requirements {
  readonly fields: ReadonlyMap<string, Requirement>;
  readonly types: ReadonlyMap<string, Requirement>;
}

/** The operation to execute after authorization, and the errors to report for what was removed. */
export interface AuthorizationOutcome {
  /** The document without the unauthorized fields (what is planned); the original one shapes the response, so they come back null. */
  readonly document: DocumentNode;
  readonly documentHash: string;
  /** One `UNAUTHORIZED_FIELD_OR_TYPE` error per removed field, with its response path (`@` marks a list). */
  readonly errors: readonly RoamError[];
}

const requirementsBySnapshot = new WeakMap<SupergraphSnapshot, Requirements>();

function requirementOf(directives: readonly DirectiveNode[] | undefined): Requirement | undefined {
  let authenticated = false;
  const scopes: (readonly (readonly string[])[])[] = [];
  for (const d of directives ?? []) {
    if (d.name.value === 'authenticated') authenticated = true;
    else if (d.name.value === 'requiresScopes') {
      const arg = d.arguments?.find((a) => a.name.value === 'scopes');
      const value = arg ? (valueFromASTUntyped(arg.value) as unknown) : [];
      scopes.push(Array.isArray(value) ? value.map((inner) => (Array.isArray(inner) ? inner.map(String) : [String(inner)])) : []);
    }
  }
  return authenticated || scopes.length > 0 ? { authenticated: authenticated || scopes.length > 0, scopes } : undefined;
}

/** Reads `@authenticated` / `@requiresScopes` from the supergraph schema once per snapshot. */
export function requirementsOf(snapshot: SupergraphSnapshot): Requirements {
  let found = requirementsBySnapshot.get(snapshot);
  if (found) return found;
  const fields = new Map<string, Requirement>();
  const types = new Map<string, Requirement>();
  for (const type of Object.values(snapshot.supergraphSchema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const own = requirementOf([...(type.astNode?.directives ?? []), ...(type.extensionASTNodes ?? []).flatMap((n) => n.directives ?? [])]);
    if (own) types.set(type.name, own);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const r = requirementOf(field.astNode?.directives);
        if (r) fields.set(`${type.name}.${field.name}`, r);
      }
    }
  }
  found = { fields, types };
  requirementsBySnapshot.set(snapshot, found);
  return found;
}

/** @returns whether the caller meets the requirement (Apollo Router: scopes from the token's `scope` claim). */
function satisfied(r: Requirement, principal: VerifiedPrincipal | undefined): boolean {
  if (r.authenticated && !principal) return false;
  if (!principal) return true;
  return r.scopes.every((alternatives) => alternatives.length === 0 || alternatives.some((all) => all.every((s) => principal.scopes.includes(s))));
}

/**
 * Applies the supergraph's authorization directives to one operation (Apollo Router's semantics, "Authorization
 * in the GraphOS Router"): every field the caller may not see (`@authenticated` without a verified token,
 * `@requiresScopes` without the scopes, on the field itself or on the type it returns) is removed before
 * planning, so no subgraph is called for it; a field whose whole selection was removed goes too.
 *
 * @param hash - the document's SHA-256, to key the filtered document's plan. @default computed from the document
 * @returns undefined when everything is authorized; else the filtered document and the errors, or `empty`
 *   when nothing executable is left.
 */
export function authorizeOperation(
  snapshot: SupergraphSnapshot,
  document: DocumentNode,
  operationName: string | undefined,
  principal: VerifiedPrincipal | undefined,
  hash?: string,
): (AuthorizationOutcome & { empty: boolean }) | undefined {
  const req = requirementsOf(snapshot);
  if (req.fields.size === 0 && req.types.size === 0) return undefined;
  const schema: GraphQLSchema = snapshot.supergraphSchema;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || d.name?.value === operationName));
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return undefined;
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return undefined;
  const removed = new Set<FieldNode>();
  const errors: RoamError[] = [];
  const reported = new Set<string>();

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, path: readonly (string | number)[], seen: ReadonlySet<string>): void => {
    for (const sel of selectionSet.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value.startsWith('__')) continue;
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[sel.name.value] : undefined;
        if (!field) continue;
        const named: GraphQLNamedType = getNamedType(field.type);
        const key = sel.alias?.value ?? sel.name.value;
        const rules = [req.fields.get(`${parent.name}.${field.name}`), req.types.get(named.name), req.types.get(parent.name)].filter((r): r is Requirement => r !== undefined);
        if (rules.some((r) => !satisfied(r, principal))) {
          removed.add(sel);
          const at = [...path, key];
          const id = JSON.stringify(at);
          if (!reported.has(id)) {
            reported.add(id);
            errors.push(roamError('UNAUTHORIZED_FIELD_OR_TYPE', 'Unauthorized field or type', {}, { path: at }));
          }
          continue;
        }
        if (sel.selectionSet && isCompositeType(named)) {
          const list = isListType(getNullableType(field.type));
          walk(sel.selectionSet, named, list ? [...path, key, '@'] : [...path, key], seen);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const type = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) walk(sel.selectionSet, type, path, seen);
      } else {
        const fragment = fragments.get(sel.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) walk(fragment.selectionSet, type, path, new Set([...seen, fragment.name.value]));
      }
    }
  };
  walk(operation.selectionSet, root, [], new Set());
  if (removed.size === 0) return undefined;

  // Remove the fields, then every field (or inline fragment) whose selection became empty, bottom-up; a fragment
  // definition left empty goes with its spreads (an empty selection set is not a valid document, and the query
  // planner throws on one), which may empty further selections: repeat until no fragment definition is empty.
  const emptySelection = (s: SelectionNode): boolean => s.kind !== Kind.FRAGMENT_SPREAD && s.selectionSet !== undefined && s.selectionSet.selections.length === 0;
  let emptyFragments = new Set<string>();
  let filtered = document;
  for (let pass = 0; ; pass++) {
    const dropped = emptyFragments;
    filtered = visit(filtered, {
      Field: { enter: (node) => (pass === 0 && removed.has(node) ? null : undefined) },
      FragmentSpread: { enter: (node) => (dropped.has(node.name.value) ? null : undefined) },
      FragmentDefinition: { enter: (node) => (dropped.has(node.name.value) ? null : undefined) },
      SelectionSet: {
        leave(node) {
          const selections = node.selections.filter((s) => !emptySelection(s));
          return selections.length === node.selections.length ? undefined : { ...node, selections };
        },
      },
    });
    emptyFragments = new Set(filtered.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION && d.selectionSet.selections.length === 0 ? [d.name.value] : [])));
    if (emptyFragments.size === 0) break;
  }
  const kept = filtered.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (d.name?.value === operation.name?.value || operationName === undefined));
  const empty = kept?.kind !== Kind.OPERATION_DEFINITION || kept.selectionSet.selections.length === 0;
  // the filtered document follows from the original and what was removed: key its plan by both
  const removedKey = JSON.stringify([...reported]);
  return { document: filtered, documentHash: documentHash(`${hash ?? JSON.stringify(document)}\u0000${removedKey}`), errors, empty };
}

/** What the pipeline plugin keeps per operation. */
const outcomes = new WeakMap<OperationContext, AuthorizationOutcome>();

/**
 * The authorization stage (issue 18 item 2), installed when `AUTH_MODE` is not `off`: in `checkOperation`,
 * after the limits, it applies {@link authorizeOperation} with the request's verified principal and
 * - `filter` (default, Apollo Router's): the operation runs without the unauthorized fields; they are null in
 *   `data` (null propagation as for any missing field) and each has an `UNAUTHORIZED_FIELD_OR_TYPE` error;
 * - `reject`, or a subscription, or nothing left to run: the operation is refused (403 `UNAUTHORIZED_FIELD_OR_TYPE`).
 *
 * The filtered document is what the executor plans ({@link OperationContext.plannedDocument}).
 */
export function authorizationPlugin(mode: 'filter' | 'reject'): PipelinePlugin {
  return {
    name: 'authorization',
    checkOperation(ctx) {
      const outcome = authorizeOperation(ctx.snapshot, ctx.document!, ctx.operation!.name?.value, ctx.request.principal, ctx.documentHash);
      if (!outcome) return undefined;
      if (mode === 'reject' || outcome.empty || ctx.operation!.operation === 'subscription') {
        const first = outcome.errors[0]!;
        return roamError('UNAUTHORIZED_FIELD_OR_TYPE', 'Unauthorized field or type', { unauthorizedPaths: outcome.errors.map((e) => e.path) }, { status: 403, path: first.path });
      }
      outcomes.set(ctx, outcome);
      ctx.plannedDocument = { document: outcome.document, documentHash: outcome.documentHash };
      return undefined;
    },
    willSendResult(ctx, result, _hints, executed) {
      const outcome = outcomes.get(ctx);
      if (!outcome || !executed) return;
      result.body.errors = [...formatErrors(outcome.errors, undefined), ...(result.body.errors ?? [])];
    },
  };
}
