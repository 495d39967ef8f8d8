import { CODE, type ErrorCode } from '@roam/errors';
import {
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  validate,
  visit,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  typeFromAST,
  GraphQLError,
} from 'graphql';
import { countTokens } from './countTokens';
import { CostEstimationError, estimateCost } from './estimateCost';
import { findViolations, type LimitViolation } from './findViolations';
import { measureOperations } from './measureOperation';
import type { OperationLimits } from './OperationLimits';

/** One operation of a checked document. */
export interface CheckedOperation {
  /** Operation name, or null for an anonymous operation. */
  readonly name: string | null;
  /** Estimated cost (with `variables[name]` when given; see {@link checkDocument}), or null when it could not be estimated. */
  readonly cost: number | null;
  readonly depth: number;
  readonly aliases: number;
  readonly rootFields: number;
  /** Exceeded limits (empty when the operation passes); a cost that cannot be estimated is a problem too. */
  readonly problems: readonly (LimitViolation | { readonly code: Extract<ErrorCode, 'COST_NOT_ESTIMATED'>; readonly message: string })[];
}

/** The result of {@link checkDocument}. */
export interface DocumentCheck {
  /** Syntax or validation errors against the schema; when non-empty, `operations` is empty. */
  readonly errors: readonly string[];
  /** Document-level problems: size in bytes and tokens. */
  readonly problems: readonly LimitViolation[];
  readonly tokens: number;
  readonly documentBytes: number;
  readonly operations: readonly CheckedOperation[];
  /** Whether the document passes: no errors and no problem anywhere. */
  readonly ok: boolean;
}

/**
 * Variables for a static check: the given ones, and for each missing required variable without a
 * default a stand-in that does not lower the estimate: -1 for Int/Float (no slicing value: the list falls
 * back to `assumedSize` or the default list size), `true` for a Boolean used by `@include` and `false`
 * otherwise (so the guarded selection counts), `""` for String/ID, the first value of an enum.
 * An input object gets an object of stand-ins for its required fields without defaults; a list `[]`.
 */
function standIn(type: GraphQLInputType, forInclude: boolean): unknown {
  if (isNonNullType(type)) return standIn(type.ofType, forInclude);
  if (isListType(type)) return [];
  if (isEnumType(type)) return type.getValues()[0]?.name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = standIn(field.type, false);
    }
    return value;
  }
  if (type.name === 'Int' || type.name === 'Float') return -1;
  if (type.name === 'Boolean') return forInclude;
  return '';
}

function staticVariables(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, given: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const includeVars = new Set<string>();
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'include') return;
      for (const arg of node.arguments ?? []) if (arg.value.kind === Kind.VARIABLE) includeVars.add(arg.value.name.value);
    },
  });
  const variables: Record<string, unknown> = { ...given };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (name in variables || definition.defaultValue) continue;
    const type = typeFromAST(schema, definition.type);
    if (!type || !isNonNullType(type)) continue;
    variables[name] = standIn(type as GraphQLInputType, includeVars.has(name));
  }
  return variables;
}

/**
 * Checks a document against the operation limits without a server - what `roam-pq verify` and `push`
 * run on every operation of a manifest. It parses (stopping past the token limit), validates against
 * `schema`, then measures each operation (depth, aliases, root fields) and estimates its cost.
 *
 * @param schema - a schema with the cost directives ({@link schemaFromSupergraph} of the supergraph SDL).
 * @param source - the document text.
 * @param limits - the limits to check against (e.g. `limitsForClient(config.limits, clientName)`).
 * @param options.variables - variables per operation name (`""` for an anonymous operation); missing
 *   required variables get stand-ins (see the README), so the cost is an upper estimate for lists.
 * @returns every problem of every operation, each with its measured value and limit; never throws.
 */
export function checkDocument(
  schema: GraphQLSchema,
  source: string,
  limits: OperationLimits,
  options: { readonly defaultListSize?: number; readonly variables?: Readonly<Record<string, Readonly<Record<string, unknown>>>> } = {},
): DocumentCheck {
  const documentBytes = Buffer.byteLength(source, 'utf8');
  const counted = countTokens(source, limits.maxTokens);
  const tokens = counted.kind === 'syntax-error' ? 0 : counted.tokens;
  const problems = findViolations({ documentBytes, tokens }, limits);
  const result = (errors: string[], operations: CheckedOperation[]): DocumentCheck => ({
    errors,
    problems,
    tokens,
    documentBytes,
    operations,
    ok: errors.length === 0 && problems.length === 0 && operations.every((o) => o.problems.length === 0),
  });
  if (counted.kind === 'exceeded') return result([], []);
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (error) {
    return result([(error as Error).message], []);
  }
  const errors = validate(schema, document);
  if (errors.length > 0)
    return result(
      errors.map((e) => e.message),
      [],
    );
  const shapes = measureOperations(schema, document);
  const operations: CheckedOperation[] = [];
  for (const [operation, shape] of shapes) {
    const name = operation.name?.value ?? null;
    const opProblems: CheckedOperation['problems'][number][] = [];
    let cost: number | null = null;
    try {
      cost = estimateCost(schema, document, {
        operationName: name,
        variables: staticVariables(schema, document, operation, options.variables?.[name ?? ''] ?? {}),
        defaultListSize: options.defaultListSize,
      }).cost;
    } catch (error) {
      if (!(error instanceof CostEstimationError) && !(error instanceof GraphQLError)) throw error;
      opProblems.push({ code: CODE.COST_NOT_ESTIMATED, message: `The cost of ${name ?? 'the anonymous operation'} could not be estimated: ${error.message}` });
    }
    opProblems.push(...findViolations({ ...shape, ...(cost === null ? {} : { cost }) }, limits));
    operations.push({ name, cost, ...shape, problems: opProblems });
  }
  return result([], operations);
}
