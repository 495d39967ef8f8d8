import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { AccountsContext } from './loaders';

const ME_ID = '1';

/** `Query.user(id)` answers null for an unknown id; any other failure stays an error. */
function nullWhenNotFound(error: unknown): null {
  if ((error as { extensions?: { code?: string } }).extensions?.code === 'NOT_FOUND') return null;
  throw error;
}

/** Resolvers of the accounts subgraph, by type. Every lookup goes through the request's loaders. */
export const resolvers: GraphQLResolverMap<AccountsContext> = {
  Query: {
    me: (_root, _args, { loaders }) => loaders.user.load(ME_ID),
    user: (_root, { id }: { id: string }, { loaders }) => loaders.user.load(id).catch(nullWhenNotFound),
    users: (_root, _args, { repository }) => repository.findAll(),
  },
  User: {
    __resolveReference: (reference: { id: string }, { loaders }: AccountsContext) => loaders.user.load(reference.id),
  },
};
