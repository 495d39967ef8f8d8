import { execute, parse } from 'graphql';
import { seedAccounts } from '../seed';
import { buildAccountsSubgraph } from '../server';
import { createLoaders } from '../loaders';

describe('accounts resolvers', () => {
  const { server, repository } = buildAccountsSubgraph(seedAccounts('benchmark'));
  const run = (query: string, variables?: Record<string, unknown>) =>
    execute({ schema: server.schema, document: parse(query), variableValues: variables, contextValue: { repository, loaders: createLoaders(repository) } });

  it('resolves me, user(id) and users from the seed', async () => {
    const result = await run('{ me { id name } user(id: "3") { username } users { id } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      me: { id: '1', name: 'Mara Lindqvist' },
      user: { username: 'praman' },
      users: ['1', '2', '3', '4', '5', '6'].map((id) => ({ id })),
    });
  });

  it('user(id) is null for an unknown id, without an error', async () => {
    const result = await run('{ user(id: "999") { id } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ user: null });
  });

  it('resolves entity references in one batched repository call, in representation order', async () => {
    repository.calls.reset();
    const result = await run('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username } } }', {
      r: [
        { __typename: 'User', id: '5' },
        { __typename: 'User', id: '404' },
        { __typename: 'User', id: '2' },
      ],
    });
    expect(repository.calls.get('findByIds')).toBe(1);
    expect(result.data).toEqual({ _entities: [{ id: '5', username: 'smarquez' }, null, { id: '2', username: 'toduya' }] });
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.path).toEqual(['_entities', 1]);
    expect(result.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });
});
