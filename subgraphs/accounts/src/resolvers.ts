import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { nullWhenNotFound } from '@roam/subgraph-kit';
import type { AccountsContext } from './loaders';

const ME_ID = '1';

/** Resolvers of the accounts subgraph, by type. Every lookup goes through the request's loaders. */
export const resolvers: GraphQLResolverMap<AccountsContext> = {
  Query: {
    // the verified caller's user (its `sub`, from a signed gateway call); user 1 when the gateway sends no verified caller
    me: (_root, _args, { loaders, claims }) => (typeof claims?.sub === 'string' ? loaders.user.load(claims.sub).catch(nullWhenNotFound) : loaders.user.load(ME_ID)),
    user: (_root, { id }: { id: string }, { loaders }) => loaders.user.load(id).catch(nullWhenNotFound),
    users: (_root, _args, { repository }) => repository.findAll(),
  },
  User: {
    __resolveReference: (reference: { id: string }, { loaders }: AccountsContext) => loaders.user.load(reference.id),
    email: (user: { username: string }) => `${user.username}@example.com`,
  },
};
