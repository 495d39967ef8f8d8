import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, validate } from 'graphql';
import { composeSupergraph } from '../../compose/composeSupergraph';
import { costDirectivesOf, estimateCost, schemaFromSupergraph } from '@roam/operation-limits';

const ROOT = join(__dirname, '..', '..', '..', '..');
const NAMES = ['accounts', 'products', 'inventory', 'reviews'];

describe('cost model over the composed reference supergraph', () => {
  const sdl = composeSupergraph(NAMES.map((name) => ({ name, url: `http://127.0.0.1:1/${name}`, sdl: readFileSync(join(ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8') })));
  const schema = schemaFromSupergraph(sdl);

  it('keeps @cost and @listSize through composition (cost spec link in the supergraph)', () => {
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/cost/v0.1"');
    const directives = costDirectivesOf(schema);
    const product = schema.getType('Product') as import('graphql').GraphQLObjectType;
    expect(directives.fieldCost(product.getFields().shippingEstimate!)).toBe(2);
    expect(directives.listSize(product.getFields().reviews!)).toMatchObject({ assumedSize: 20 });
    const query = schema.getQueryType()!.getFields();
    expect(directives.listSize(query.topProducts!)).toMatchObject({ slicingArguments: ['first'], requireOneSlicingArgument: false });
  });

  it('costs the federation benchmark query as computed by hand', () => {
    const document = parse(readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8'));
    expect(validate(schema, document)).toEqual([]);
    const estimate = estimateCost(schema, document, { defaultListSize: 10 });
    // users[100] → reviews[10] → product(1 + shippingEstimate 2) → reviews[20] → author → reviews[10] → product(1 + 2)
    // innermost review 1 + 3 = 4; author 1 + 10·4 = 41; product review 1 + 41 = 42; product 3 + 20·42 = 843;
    // user review 1 + 843 = 844; user 1 + 10·844 = 8441; users 100·8441 = 844100.
    // topProducts (first defaults to 5): product 3 + 20·(1 + 41) = 843; 5·843 = 4215.
    expect(estimate.breakdown.fields).toEqual([
      { path: 'users', cost: 844_100 },
      { path: 'topProducts', cost: 4215 },
    ]);
    expect(estimate.cost).toBe(848_315);
    expect(estimate.dependsOnVariables).toBe(false);
  });

  it('costs a connection with sizedFields and a mutation with a costed input field', () => {
    const q = parse('{ user(id: "1") { reviewsConnection(first: 4) { edges { node { id product { shippingEstimate } } } totalCount } } }');
    expect(validate(schema, q)).toEqual([]);
    // user 1 + connection (1 + 4 × edge (1 + node (1 + product (1 + 2))))
    expect(estimateCost(schema, q).cost).toBe(1 + 1 + 4 * (1 + 1 + 3));
    const m = parse('mutation { addReview(input: { authorId: "1", productUpc: "1", body: "ok" }) { id } }');
    expect(validate(schema, m)).toEqual([]);
    // mutation 10 + addReview @cost 10 + input field body @cost 1
    expect(estimateCost(schema, m).cost).toBe(10 + 10 + 1);
  });
});
