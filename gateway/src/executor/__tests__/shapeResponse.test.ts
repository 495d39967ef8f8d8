import { buildSchema, parse, type GraphQLError, type OperationDefinitionNode } from 'graphql';
import { shapeResponse } from '../shapeResponse';

const schema = buildSchema(`
  type Query { me: User, users: [User!], node(id: ID!): Node, strict: User! }
  interface Node { id: ID! }
  type User implements Node { id: ID!, name: String!, role: Role, friends: [User!]! }
  type Product implements Node { id: ID!, title: String }
  enum Role { ADMIN, MEMBER }
`);

function shape(query: string, data: Record<string, unknown>, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  const errors: GraphQLError[] = [];
  const out = shapeResponse(schema, document, operation, variables, data, errors);
  return { out, errors };
}

describe('shapeResponse (GraphQL spec §6.3 CollectFields, §6.4.4 null propagation)', () => {
  it('keeps only requested fields, in the operation order, under their aliases', () => {
    const { out, errors } = shape('{ me { name alias: id } }', { me: { alias: '1', name: 'Ada', __typename: 'User', extra: 1 } });
    expect(JSON.stringify(out)).toBe('{"me":{"name":"Ada","alias":"1"}}');
    expect(errors).toEqual([]);
  });

  it('merges fields from fragments in first-occurrence order and answers __typename from the runtime type', () => {
    const q = 'query { node(id: "1") { __typename ... on User { name id } ...P } } fragment P on Product { title id }';
    expect(JSON.stringify(shape(q, { node: { __typename: 'User', id: '1', name: 'Ada' } }).out)).toBe('{"node":{"__typename":"User","name":"Ada","id":"1"}}');
    expect(JSON.stringify(shape(q, { node: { __typename: 'Product', id: '2', title: 'Lamp' } }).out)).toBe('{"node":{"__typename":"Product","title":"Lamp","id":"2"}}');
  });

  it('propagates null from a non-null field to the nearest nullable parent, with one error at the field', () => {
    const { out, errors } = shape('{ me { id name } }', { me: { id: '1', name: null } });
    expect(out).toEqual({ me: null });
    expect(errors.map((e) => e.path)).toEqual([['me', 'name']]);
  });

  it('nulls a whole list when a non-null item is null, and the whole data when a non-null root field is null', () => {
    expect(shape('{ users { id } }', { users: [{ id: '1' }, null] }).out).toEqual({ users: null });
    expect(shape('{ strict { id } }', { strict: null }).out).toBeNull();
  });

  it('reads an enum value the schema does not have as null', () => {
    expect(shape('{ me { role } }', { me: { role: 'SECRET' } }).out).toEqual({ me: { role: null } });
    expect(shape('{ me { role } }', { me: { role: 'ADMIN' } }).out).toEqual({ me: { role: 'ADMIN' } });
  });

  it('applies @skip and @include from variables', () => {
    const q = 'query ($a: Boolean!) { me { id @skip(if: $a) name @include(if: $a) } }';
    expect(shape(q, { me: { id: '1', name: 'Ada' } }, { a: true }).out).toEqual({ me: { name: 'Ada' } });
    expect(shape(q, { me: { id: '1', name: 'Ada' } }, { a: false }).out).toEqual({ me: { id: '1' } });
  });
});

describe('shapeResponse null propagation through nested levels', () => {
  it('stops at the first nullable ancestor and reports the error once, at the original field', () => {
    const { out, errors } = shape('{ me { id friends { id name } } }', { me: { id: '1', friends: [{ id: '2', name: null }] } });
    // friends: [User!]! is non-null, so the null travels up to `me` (nullable).
    expect(out).toEqual({ me: null });
    expect(errors.map((e) => e.path)).toEqual([['me', 'friends', 0, 'name']]);
  });
});
