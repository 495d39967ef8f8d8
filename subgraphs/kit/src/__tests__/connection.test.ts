import { connectionFromRows, encodeCursor, MAX_PAGE_SIZE } from '../connection';

const rows = ['1', '2', '3', '4', '5'].map((id) => ({ id }));

describe('connectionFromRows (Relay cursor connections)', () => {
  it('pages forward with cursors and pageInfo', () => {
    const first = connectionFromRows(rows, { first: 2 });
    expect(first.edges.map((e) => e.node.id)).toEqual(['1', '2']);
    expect(first.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: encodeCursor('1'), endCursor: encodeCursor('2') });
    expect(first.totalCount).toBe(5);
    const second = connectionFromRows(rows, { first: 2, after: first.pageInfo.endCursor });
    expect(second.edges.map((e) => e.node.id)).toEqual(['3', '4']);
    const last = connectionFromRows(rows, { first: 2, after: second.pageInfo.endCursor });
    expect(last.edges.map((e) => e.node.id)).toEqual(['5']);
    expect(last.pageInfo.hasNextPage).toBe(false);
    expect(last.pageInfo.hasPreviousPage).toBe(true);
  });

  it('refuses a page larger than the maximum and a cursor from elsewhere', () => {
    expect(() => connectionFromRows(rows, { first: MAX_PAGE_SIZE + 1 })).toThrow(/between 0 and 50/);
    expect(() => connectionFromRows(rows, { first: 2, after: 'bm9wZQ' })).toThrow(/Invalid cursor/);
    expect(() => connectionFromRows(rows, { first: 2, after: encodeCursor('99') })).toThrow(/does not point/);
  });
});
