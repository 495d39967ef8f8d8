import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError } from 'graphql';
import { connectionFromRows, resumableEvents, resumeRequestOf, type PubSub, nullWhenNotFound } from '@roam/subgraph-kit';
import type { ReviewsContext } from './loaders';
import type { ReviewRow } from './seed';

/** Longest review body accepted by `addReview`, in characters. */
export const MAX_REVIEW_BODY_LENGTH = 5000;

interface AddReviewInput {
  readonly authorId: string;
  readonly productUpc: string;
  readonly body: string;
}
interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

/** Hook called after a review is stored (the subscription layer publishes it). */
export type ReviewAddedListener = (review: ReviewRow) => void | Promise<void>;

/** Pub/sub channel of `Subscription.reviewAdded`; the payload is the stored {@link ReviewRow}. */
export const REVIEW_ADDED_CHANNEL = 'reviews:REVIEW_ADDED';

/**
 * @param onReviewAdded - runs after each `addReview` (the server publishes the row on {@link REVIEW_ADDED_CHANNEL}).
 * @param pubsub - the event bus `Subscription.reviewAdded` listens to; the field is served only when given.
 * @returns the resolvers of the reviews subgraph, by type.
 */
export function createResolvers(onReviewAdded?: ReviewAddedListener, pubsub?: PubSub): GraphQLResolverMap<ReviewsContext> {
  return {
    ...(pubsub
      ? {
          Subscription: {
            reviewAdded: {
              // The event carries the whole row, so a replica that never stored it still resolves every Review field.
              subscribe: (_root: unknown, { upc }: { upc?: string | null }, context: unknown) =>
                resumableEvents<ReviewRow>(pubsub, REVIEW_ADDED_CHANNEL, (row) => upc == null || row.productUpc === upc, resumeRequestOf(context)),
              resolve: (row: ReviewRow) => row,
            },
          },
        }
      : {}),
    Query: {
      review: (_root, { id }: { id: string }, { loaders }) => loaders.review.load(id).catch(nullWhenNotFound),
    },
    Mutation: {
      // With an `Idempotency-Key` (forwarded by the gateway for a keyed mutation), a repeat returns the review
      // first added with that key and publishes nothing: a retry after a gateway crash adds no second review.
      addReview: async (_root, { input }: { input: AddReviewInput }, { repository, idempotencyKey }) => {
        const body = input.body.trim();
        if (body.length === 0 || body.length > MAX_REVIEW_BODY_LENGTH) {
          throw new GraphQLError(`A review body must be 1 to ${MAX_REVIEW_BODY_LENGTH} characters; got ${body.length}.`, { extensions: { code: 'BAD_USER_INPUT' } });
        }
        const fields = { authorId: input.authorId, productUpc: input.productUpc, body };
        if (idempotencyKey !== undefined) {
          const { row, created } = await repository.insertOnce(idempotencyKey, fields);
          if (created) await onReviewAdded?.(row);
          return row;
        }
        const review = await repository.insert(fields);
        await onReviewAdded?.(review);
        return review;
      },
    },
    Review: {
      __resolveReference: (reference: { id: string }, { loaders }: ReviewsContext) => loaders.review.load(reference.id),
      author: (review: ReviewRow) => ({ __typename: 'User', id: review.authorId }),
      product: (review: ReviewRow) => ({ __typename: 'Product', upc: review.productUpc }),
    },
    User: {
      __resolveReference: (reference: { id: string }) => reference,
      reviews: (user: { id: string }, _args: unknown, { loaders }: ReviewsContext) => loaders.reviewsByAuthor.load(user.id),
      reviewsConnection: async (user: { id: string }, args: PageArgs, { loaders }: ReviewsContext) => connectionFromRows(await loaders.reviewsByAuthor.load(user.id), args),
    },
    Product: {
      __resolveReference: (reference: { upc: string }) => reference,
      reviews: (product: { upc: string }, _args: unknown, { loaders }: ReviewsContext) => loaders.reviewsByProduct.load(product.upc),
      reviewsConnection: async (product: { upc: string }, args: PageArgs, { loaders }: ReviewsContext) => connectionFromRows(await loaders.reviewsByProduct.load(product.upc), args),
    },
  };
}
