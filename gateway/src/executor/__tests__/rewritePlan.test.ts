import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchNode, FlattenNode, PlanNode, QueryPlanSelectionNode } from '@apollo/query-planner';
import { isRoamError } from '@roam/errors';
import { getOperationAST, parse } from 'graphql';
import { SupergraphSnapshot } from '../../supergraph/SupergraphSnapshot';
import { assertEmptyPlanAllowed, PlanRewriter } from '../rewritePlan';

const AUDIT = join(__dirname, '../../../../test/fixtures/fed-audit');
const supergraph = (suite: string): string => readFileSync(join(AUDIT, suite, 'supergraph.graphql'), 'utf8');
const planOf = (suite: string, query: string): PlanNode => new SupergraphSnapshot(supergraph(suite), 1).plan(parse(query), undefined, undefined).node as PlanNode;

function fetches(node: PlanNode, path: readonly (string | number)[] = []): { path: string; fetch: FetchNode }[] {
  switch (node.kind) {
    case 'Fetch':
      return [{ path: path.join('.'), fetch: node }];
    case 'Flatten':
      return fetches(node.node, (node as FlattenNode).path);
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap((n) => fetches(n, path));
    default:
      return [];
  }
}

const fieldNames = (selections: readonly QueryPlanSelectionNode[] | undefined): string[] =>
  (selections ?? []).flatMap((s) => (s.kind === 'Field' ? [`${s.alias ? `${s.alias}:` : ''}${s.name}`, ...fieldNames(s.selections)] : fieldNames(s.selections)));

describe('PlanRewriter (issue 19: planner faults the federation audit shows)', () => {
  it('is not built for a supergraph without non-resolvable keys or @requires with arguments', () => {
    expect(PlanRewriter.forSupergraph(supergraph('simple-entity-call'))).toBeUndefined();
    expect(PlanRewriter.forSupergraph(supergraph('keys-mashup'))).toBeDefined();
  });

  it('keys-mashup: the representation carries a key the subgraph can resolve, and the first fetch selects it', () => {
    const [root, , last] = fetches(planOf('keys-mashup', '{ b { id a { id name nameInB } } }'));
    expect(root!.fetch.operation.replace(/\s+/g, ' ')).toContain('compositeId { one two three }');
    expect(last!.fetch.serviceName).toBe('b');
    expect(fieldNames(last!.fetch.requires).sort()).toEqual(['__typename', 'compositeId', 'id', 'name', 'three', 'two']);
  });

  it('requires-with-argument: the client keeps its arguments; the required variant is fetched, followed and read under an alias', () => {
    const list = fetches(planOf('requires-with-argument', 'query ($limit: Int = 1) { feed { author { id } comments(limit: $limit) { id } } }'));
    const d = list.find((f) => f.fetch.serviceName === 'd' && f.fetch.operation.includes('comments'))!;
    const alias = /(_roam_comments_[0-9a-f]+): comments\(limit: 3\)/.exec(d.fetch.operation)?.[1];
    expect(alias).toBeDefined();
    expect(d.fetch.operation).toContain('comments(limit: $limit)');
    expect(d.fetch.operation).toContain('$limit: Int = 1');
    expect(d.fetch.variableUsages).toContain('limit');
    expect(list.find((f) => f.fetch.serviceName === 'c' && f.fetch.requires)!.path).toBe(`feed.@.${alias}.@`);
    const author = list.find((f) => f.fetch.operation.includes('author {'))!.fetch;
    expect(fieldNames(author.requires)).toContain(`${alias}:comments`);
    expect(author.inputRewrites).toEqual([{ kind: 'KeyRenamer', path: ['... on Post', alias], renameKeyTo: 'comments' }]);
  });

  it('requires-with-argument-conflict: one entity fetch per argument variant, each reading its own alias', () => {
    const list = fetches(planOf('requires-with-argument-conflict', '{ products { upc shippingEstimate shippingEstimateEUR isExpensiveCategory } }'));
    const a = list.filter((f) => f.fetch.serviceName === 'a');
    expect(a).toHaveLength(2);
    const usd = a.find((f) => f.fetch.operation.includes('shippingEstimate\n'))!.fetch;
    const eur = a.find((f) => f.fetch.operation.includes('shippingEstimateEUR'))!.fetch;
    expect(usd.operation).not.toContain('shippingEstimateEUR');
    expect(fieldNames(eur.requires)).not.toContain('category');
    const root = list[0]!.fetch.operation;
    const aliasOf = (currency: string): string => new RegExp(`(_roam_price_[0-9a-f]+): price\\(currency: "${currency}"\\)`).exec(root)![1]!;
    expect(usd.inputRewrites).toEqual([{ kind: 'KeyRenamer', path: ['... on Product', aliasOf('USD')], renameKeyTo: 'price' }]);
    expect(eur.inputRewrites).toEqual([{ kind: 'KeyRenamer', path: ['... on Product', aliasOf('EUR')], renameKeyTo: 'price' }]);
  });

  it('leaves a plan without conflicts as planned (same object)', () => {
    const snapshot = new SupergraphSnapshot(supergraph('requires-with-argument'), 1);
    const document = parse('{ products { upc shippingEstimate } }');
    const plan = snapshot.plan(document, undefined, 'h');
    const rewriter = PlanRewriter.forSupergraph(supergraph('requires-with-argument'))!;
    expect(rewriter.rewrite(plan, document, getOperationAST(document)!)).toBe(plan);
  });
});

describe('assertEmptyPlanAllowed', () => {
  const check = (query: string, variables: Record<string, unknown> = {}): string | undefined => {
    const document = parse(query);
    try {
      assertEmptyPlanAllowed(document, getOperationAST(document)!, variables);
      return undefined;
    } catch (error) {
      return isRoamError(error) ? String(error.extensions.code) : 'other';
    }
  };
  it('refuses an operation that asks for data, allows one that asks for none', () => {
    expect(check('{ a { field } }')).toBe('QUERY_PLANNING_FAILED');
    expect(check('query ($x: Boolean!) { ...F } fragment F on Query { a @include(if: $x) { id } }', { x: true })).toBe('QUERY_PLANNING_FAILED');
    expect(check('{ __typename }')).toBeUndefined();
    expect(check('{ a @skip(if: true) { id } __schema { queryType { name } } }')).toBeUndefined();
    expect(check('query ($x: Boolean!) { a @include(if: $x) { id } }', { x: false })).toBeUndefined();
  });
});
