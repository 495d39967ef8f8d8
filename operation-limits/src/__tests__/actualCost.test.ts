import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { actualCost } from '../actualCost';
import { estimateCost } from '../estimateCost';

// The actual cost applies the estimate's rules to the response (Apollo Router demand control "actual cost").
const schema = buildSchema(`
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  type Query { recent: [Post!]! @listSize(assumedSize: 2) media: [Media!]! @listSize(assumedSize: 1) }
  type Mutation { like: Post @cost(weight: 5) }
  type Post { id: ID! author: Author comments: [Comment!]! @listSize(assumedSize: 1) }
  type Author @cost(weight: 3) { name: String }
  type Comment { id: ID! }
  interface Media { id: ID! }
  type Photo implements Media { id: ID! owner: Author }
  type Video implements Media { id: ID! }
`);

function run(text: string, data: unknown, variables: Record<string, unknown> = {}): { actual: number; estimated: number } {
  const document = parse(text);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  return { actual: actualCost(schema, operation, fragments, data, { variables }), estimated: estimateCost(schema, document, { variables }).cost };
}

describe('actualCost', () => {
  it('charges a list at its real length, longer or shorter than @listSize assumed', () => {
    const posts = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i), comments: [{ id: 'c' }, { id: 'd' }, { id: 'e' }] }));
    // estimate: 2 posts x (1 + 1 comment x 1) = 4; actual: 5 posts x (1 + 3 comments) = 20
    expect(run('{ recent { id comments { id } } }', { recent: posts(5) })).toEqual({ estimated: 4, actual: 20 });
    expect(run('{ recent { id comments { id } } }', { recent: [] })).toEqual({ estimated: 4, actual: 0 });
  });

  it('uses @cost weights, skips nulls and @skip, adds the mutation cost, follows fragments by runtime type', () => {
    expect(run('{ recent { author { name } } }', { recent: [{ author: { name: 'a' } }, { author: null }] }).actual).toBe(2 + 3);
    expect(run('query($s: Boolean!) { recent { id author @skip(if: $s) { name } } }', { recent: [{ id: '1' }] }, { s: true }).actual).toBe(1);
    expect(run('mutation { like { id } }', { like: { id: '1' } }).actual).toBe(10 + 5);
    const media = {
      media: [
        { __typename: 'Photo', id: '1', owner: { name: 'x' } },
        { __typename: 'Video', id: '2' },
      ],
    };
    expect(run('{ media { __typename id ... on Photo { owner { name } } ...V } } fragment V on Video { id }', media).actual).toBe(1 + 3 + 1);
  });
});
