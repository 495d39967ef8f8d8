import { changeOpFields, type ChangeOp, parseChangeOp } from '..';

describe('parseChangeOp', () => {
  it('round-trips every kind through its wire form', () => {
    const ops: ChangeOp[] = [
      { kind: 'CREATE_LIST', title: 'T' },
      { kind: 'SET_TITLE', title: 'U' },
      { kind: 'SET_ARCHIVED', archived: true },
      { kind: 'DELETE_LIST' },
      { kind: 'ADD_ITEM', upc: '1', quantity: 0 },
      { kind: 'REMOVE_ITEM', upc: '1', observed: ['a:1'] },
      { kind: 'INCREMENT_QUANTITY', upc: '1', delta: -2 },
      { kind: 'SET_CHECKED', upc: '1', checked: false },
      { kind: 'EDIT_NOTE', base: '', text: 'x' },
      { kind: 'RESOLVE_CONFLICT', conflictId: 'a:2', text: '' },
      { kind: 'ADD_MEMBER', userId: '2' },
      { kind: 'REMOVE_MEMBER', userId: '2', observed: [] },
    ];
    for (const op of ops) expect(parseChangeOp(changeOpFields(op))).toEqual(op);
  });

  it.each([
    [{ kind: 'FLY' }, /Unknown change kind "FLY"/],
    [{ kind: 'ADD_ITEM', upc: '1' }, /ADD_ITEM needs "quantity"/],
    [{ kind: 'SET_TITLE', title: '' }, /"title" must be 1 to 200 characters; got 0/],
    [{ kind: 'INCREMENT_QUANTITY', upc: '1', delta: 0 }, /non-zero "delta"/],
    [{ kind: 'INCREMENT_QUANTITY', upc: '1', delta: 1.5 }, /an integer/],
    [{ kind: 'REMOVE_ITEM', upc: '1' }, /needs "observed"/],
    [{ kind: 'ADD_MEMBER' }, /needs "memberId"/],
  ])('refuses %j with INVALID_CHANGE', (fields, message) => {
    expect(() => parseChangeOp(fields)).toThrow(expect.objectContaining({ code: 'INVALID_CHANGE', message: expect.stringMatching(message) }));
  });
});
