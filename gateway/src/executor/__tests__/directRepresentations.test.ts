import type { FetchNode } from '@apollo/query-planner';
import fc from 'fast-check';
import { buildSchema } from 'graphql';
import { executePlan } from '../executePlan';
import { RawJson, type SubgraphRequest } from '../../upstream/types';

// Entity representations of the usual shape are written straight to JSON text with duplicates found through a
// trie of key values (executePlan.ts, issue 19); any other shape goes through representation objects. Property:
// both paths send the same representations, in the same order, and merge each entity into the same owners.
const schema = buildSchema(`
  type Product { upc: String sku: Int extra: String }
  type User { id: ID }
  type Query { products: [Product] }
`);

const requires: FetchNode['requires'] = [
  {
    kind: 'InlineFragment',
    typeCondition: 'Product',
    selections: [
      { kind: 'Field', name: '__typename' },
      { kind: 'Field', name: 'upc' },
      { kind: 'Field', name: 'sku' },
    ],
  },
  {
    kind: 'InlineFragment',
    typeCondition: 'User',
    selections: [
      { kind: 'Field', name: 'id' },
      { kind: 'Field', name: '__typename' },
    ],
  },
];

function fetchNode(general: boolean): FetchNode {
  return {
    kind: 'Fetch',
    serviceName: 's',
    requires,
    variableUsages: [],
    operation: 'query($representations:[_Any!]!){_entities(representations:$representations){...on Product{extra}...on User{id}}}',
    operationKind: 'query' as FetchNode['operationKind'],
    // a rewrite that never applies forces the general path (representation objects)
    ...(general ? { inputRewrites: [{ kind: 'ValueSetter', path: ['... on Nothing', 'x'], setValueTo: 1 }] } : {}),
  } as unknown as FetchNode;
}

const scalar = fc.oneof(fc.constantFrom('1', '2', 'a"b', ''), fc.integer({ min: -2, max: 2 }), fc.constant(null), fc.constant(true));
const entity = fc.record(
  {
    __typename: fc.constantFrom('Product', 'User', 'Other'),
    upc: fc.oneof(scalar, fc.constant(undefined), fc.constant({ nested: 1 })),
    sku: fc.oneof(scalar, fc.constant(undefined)),
    id: fc.oneof(scalar, fc.constant(undefined)),
  },
  { requiredKeys: [] },
);

async function run(general: boolean, items: unknown[]): Promise<{ sent: unknown; data: unknown }> {
  let sent: unknown;
  const data = { products: structuredClone(items) };
  await executePlan(
    { kind: 'Flatten', path: ['products', '@'], node: fetchNode(general) },
    {
      supergraphSchema: schema,
      variables: {},
      providedVariables: {},
      errors: [],
      call: async (_service: string, request: SubgraphRequest) => {
        // the path under test writes text; the general path sends objects
        expect(request.variables.representations instanceof RawJson).toBe(!general);
        // both paths must serialise to the same body
        sent = JSON.parse(JSON.stringify(request.variables.representations)) as unknown;
        const reps = sent as { __typename: string }[];
        return { data: { _entities: reps.map((r, i) => ({ __typename: r.__typename, extra: `e${i}:${JSON.stringify(r)}` })) } };
      },
    },
    data,
  );
  return { sent, data };
}

describe('entity representations written straight to JSON text', () => {
  it('send the same representations and merge the same entities as the general path', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(entity, fc.constant(null)), { maxLength: 30 }), async (items) => {
        const direct = await run(false, items);
        const general = await run(true, items);
        expect(direct).toEqual(general);
        // an entity with all its key fields gets its entity merged in
        const complete = items.filter((x) => x?.__typename === 'Product' && x.upc !== undefined && x.sku !== undefined);
        if (complete.length > 0) expect(direct.sent).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('subgraph errors inside `_entities`', () => {
  it.each([false, true])('point at every owner of the representation, list indexes filled in (general path: %s)', async (general) => {
    const data = {
      products: [{ __typename: 'Product', upc: '1', sku: 1 }, { __typename: 'Product', upc: '2', sku: 2 }, null, { __typename: 'Product', upc: '1', sku: 1 }],
    };
    const errors: { path?: readonly (string | number)[]; message: string }[] = [];
    await executePlan(
      { kind: 'Flatten', path: ['products', '@'], node: fetchNode(general) },
      {
        supergraphSchema: schema,
        variables: {},
        providedVariables: {},
        errors: errors as never,
        call: async () => ({ data: { _entities: [null, { __typename: 'Product', extra: 'x' }] }, errors: [{ message: 'no product 1', path: ['_entities', 0, 'extra'] }] }),
      },
      data,
    );
    expect(errors.map((e) => [e.message, e.path])).toEqual([
      ['no product 1', ['products', 0, 'extra']],
      ['no product 1', ['products', 3, 'extra']],
    ]);
    expect(data.products[1]).toEqual({ __typename: 'Product', upc: '2', sku: 2, extra: 'x' });
  });
});
