import { GraphQLError } from 'graphql';

/** Relay `PageInfo` (GraphQL Cursor Connections Specification, section 5). */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
/** A Relay connection over rows of type `T`. */
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Largest page a connection field serves; a larger `first` is an error, not a silent clamp. */
export const MAX_PAGE_SIZE = 50;

/** @returns the opaque cursor of a row id (base64url of `cursor:<id>`). */
export function encodeCursor(id: string): string {
  return Buffer.from(`cursor:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('cursor:')) {
    throw new GraphQLError(`Invalid cursor "${cursor}": expected a cursor returned by this field.`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return text.slice('cursor:'.length);
}

/**
 * Slices `rows` into a forward-paginated Relay connection (Cursor Connections Specification,
 * "Pagination algorithm", forward only). Cursors are row ids, so rows appended later do not shift a page.
 *
 * @param rows - all rows, in connection order; each has an `id`.
 * @param args - `first` (1..{@link MAX_PAGE_SIZE}) and optional `after` cursor.
 * @returns the page with its edges, `pageInfo` and `totalCount`.
 * @throws GraphQLError `BAD_USER_INPUT` when `first` is out of range or `after` is not a known cursor.
 */
export function connectionFromRows<T extends { id: string }>(rows: readonly T[], args: { first?: number | null; after?: string | null }): Connection<T> {
  const first = args.first ?? 10;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new GraphQLError(`Argument "first" must be between 0 and ${MAX_PAGE_SIZE}; got ${first}.`, { extensions: { code: 'BAD_USER_INPUT', maxPageSize: MAX_PAGE_SIZE } });
  }
  let start = 0;
  if (args.after != null) {
    const id = decodeCursor(args.after);
    const index = rows.findIndex((r) => r.id === id);
    if (index < 0) throw new GraphQLError(`Cursor "${args.after}" does not point into this list.`, { extensions: { code: 'BAD_USER_INPUT' } });
    start = index + 1;
  }
  const page = rows.slice(start, start + first);
  const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    totalCount: rows.length,
    pageInfo: {
      hasNextPage: start + first < rows.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
