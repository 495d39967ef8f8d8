import { composeSupergraph, CompositionError } from '../compose/composeSupergraph';

const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';

describe('composeSupergraph', () => {
  it('composes Federation 2 subgraphs into a supergraph with their URLs', () => {
    const sdl = composeSupergraph([
      { name: 'a', url: 'http://a.example/graphql', sdl: `${link} type Query { me: User } type User @key(fields: "id") { id: ID! }` },
      { name: 'b', url: 'http://b.example/graphql', sdl: `${link} type User @key(fields: "id") { id: ID! age: Int }` },
    ]);
    expect(sdl).toMatch(/@join__graph\(name: "a", url: "http:\/\/a.example\/graphql"\)/);
    expect(sdl).toMatch(/age: Int/);
  });

  it('names the subgraphs involved when composition fails', () => {
    let error: unknown;
    try {
      composeSupergraph([
        { name: 'accounts', url: 'http://a/graphql', sdl: `${link} type Query { me: User } type User @key(fields: "id") { id: ID! name: String }` },
        { name: 'people', url: 'http://p/graphql', sdl: `${link} type Query { other: Int } type User @key(fields: "id") { id: ID! name: Int }` },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompositionError);
    expect((error as CompositionError).errors.join('\n')).toMatch(/"accounts"/);
    expect((error as CompositionError).errors.join('\n')).toMatch(/"people"/);
  });

  it('names a subgraph whose SDL does not parse', () => {
    expect(() => composeSupergraph([{ name: 'broken', url: 'http://b/graphql', sdl: 'type Query {' }])).toThrow(/\[broken\] schema does not parse/);
  });
});
