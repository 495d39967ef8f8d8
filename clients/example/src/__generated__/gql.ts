/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query TopProductsQuery($first: Int!) {\n  topProducts(first: $first) {\n    upc\n    name\n    price\n    inStock\n  }\n}": typeof types.TopProductsQueryDocument,
    "query ViewerQuery {\n  me {\n    ...UserFields\n  }\n}\n\nfragment UserFields on User {\n  id\n  name\n}": typeof types.ViewerQueryDocument,
};
const documents: Documents = {
    "query TopProductsQuery($first: Int!) {\n  topProducts(first: $first) {\n    upc\n    name\n    price\n    inStock\n  }\n}": types.TopProductsQueryDocument,
    "query ViewerQuery {\n  me {\n    ...UserFields\n  }\n}\n\nfragment UserFields on User {\n  id\n  name\n}": types.ViewerQueryDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query TopProductsQuery($first: Int!) {\n  topProducts(first: $first) {\n    upc\n    name\n    price\n    inStock\n  }\n}"): (typeof documents)["query TopProductsQuery($first: Int!) {\n  topProducts(first: $first) {\n    upc\n    name\n    price\n    inStock\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ViewerQuery {\n  me {\n    ...UserFields\n  }\n}\n\nfragment UserFields on User {\n  id\n  name\n}"): (typeof documents)["query ViewerQuery {\n  me {\n    ...UserFields\n  }\n}\n\nfragment UserFields on User {\n  id\n  name\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;