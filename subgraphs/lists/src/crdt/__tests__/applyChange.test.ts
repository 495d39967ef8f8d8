import fc from 'fast-check';
import { applyChange, type Change, type ChangeOp, encodeHlc, type ListState, observedItemTags, viewOf } from '..';

let n = 0;
const at = (clientId: string, wallMs: number, op: ChangeOp, counter = 0): Change => ({ clientId, changeId: ++n, userId: '1', listId: 'L', hlc: encodeHlc({ wallMs, counter, replica: clientId }), op });
const run = (changes: readonly Change[], start?: ListState): { state: ListState; outcomes: string[] } => {
  let state = start;
  const outcomes: string[] = [];
  for (const c of changes) {
    const r = applyChange(state, c);
    state = r.state;
    outcomes.push(r.outcome);
  }
  return { state: state!, outcomes };
};
const created = run([at('a', 1, { kind: 'CREATE_LIST', title: 'T' })]).state;

describe('applyChange', () => {
  it('delete wins: every later change to a deleted list is superseded', () => {
    const { state, outcomes } = run([at('a', 5, { kind: 'DELETE_LIST' }), at('b', 9, { kind: 'SET_TITLE', title: 'late' }), at('b', 9, { kind: 'ADD_ITEM', upc: '1', quantity: 1 })], created);
    expect(outcomes).toEqual(['APPLIED', 'SUPERSEDED', 'SUPERSEDED']);
    expect(viewOf(state)).toMatchObject({ deleted: true, title: 'T', items: [] });
  });

  it('an older title write is superseded by a newer one that arrived first', () => {
    const { state, outcomes } = run([at('a', 10, { kind: 'SET_TITLE', title: 'new' }), at('b', 5, { kind: 'SET_TITLE', title: 'old' })], created);
    expect(outcomes).toEqual(['APPLIED', 'SUPERSEDED']);
    expect(state.title.value).toBe('new');
  });

  it('a remove that did not observe a concurrent add leaves the item (add wins); removing the last add drops quantity and checked', () => {
    const s1 = run([at('a', 2, { kind: 'ADD_ITEM', upc: '1', quantity: 2 }), at('a', 3, { kind: 'SET_CHECKED', upc: '1', checked: true })], created).state;
    const observed = observedItemTags(s1, '1');
    const concurrent = run([at('b', 4, { kind: 'ADD_ITEM', upc: '1', quantity: 1 }), at('a', 4, { kind: 'REMOVE_ITEM', upc: '1', observed })], s1).state;
    expect(viewOf(concurrent).items).toEqual([{ upc: '1', quantity: 3, checked: true }]);
    const removed = run([at('a', 5, { kind: 'REMOVE_ITEM', upc: '1', observed: observedItemTags(concurrent, '1') }), at('a', 6, { kind: 'ADD_ITEM', upc: '1', quantity: 1 })], concurrent).state;
    expect(viewOf(removed).items).toEqual([{ upc: '1', quantity: 1, checked: false }]);
  });

  it('an increment or check of an absent item is superseded', () => {
    expect(run([at('a', 2, { kind: 'INCREMENT_QUANTITY', upc: '9', delta: 1 }), at('a', 2, { kind: 'SET_CHECKED', upc: '9', checked: true })], created).outcomes).toEqual(['SUPERSEDED', 'SUPERSEDED']);
  });

  it('overlapping note edits record a conflict that RESOLVE_CONFLICT clears', () => {
    const { state, outcomes } = run([at('a', 2, { kind: 'EDIT_NOTE', base: '', text: 'x\n' }), at('b', 3, { kind: 'EDIT_NOTE', base: '', text: 'y\n' })], created);
    expect(outcomes).toEqual(['APPLIED', 'CONFLICT']);
    expect(state.conflicts).toEqual([{ id: expect.stringMatching(/^b:\d+$/), base: '', ours: 'x\n', theirs: 'y\n' }]);
    const resolved = run([at('a', 4, { kind: 'RESOLVE_CONFLICT', conflictId: state.conflicts[0]!.id, text: 'x or y\n' })], state).state;
    expect(viewOf(resolved)).toMatchObject({ note: 'x or y\n', conflicts: [] });
  });

  // Concurrent changes (made without seeing each other) to title, archived, items, quantities and checked flags give
  // the same list in whichever order the server receives them: the CRDT rules make those fields order-independent.
  it('concurrent changes to CRDT fields commute', () => {
    const op: fc.Arbitrary<ChangeOp> = fc.oneof(
      fc.record({ kind: fc.constant('SET_TITLE' as const), title: fc.constantFrom('x', 'y') }),
      fc.record({ kind: fc.constant('SET_ARCHIVED' as const), archived: fc.boolean() }),
      fc.record({ kind: fc.constant('ADD_ITEM' as const), upc: fc.constantFrom('1', '2'), quantity: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('INCREMENT_QUANTITY' as const), upc: fc.constantFrom('1', '2'), delta: fc.constantFrom(-1, 2) }),
      fc.record({ kind: fc.constant('SET_CHECKED' as const), upc: fc.constantFrom('1', '2'), checked: fc.boolean() }),
    );
    const base = run([at('s', 1, { kind: 'ADD_ITEM', upc: '1', quantity: 1 }), at('s', 1, { kind: 'ADD_ITEM', upc: '2', quantity: 1 })], created).state;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 2, max: 6 }), op), { maxLength: 8 }), (ops) => {
        // Every change gets its own HLC (a replica's clock never stamps two changes alike).
        const changes = ops.map(([replica, wallMs, o], i) => at(replica, wallMs, o, i));
        const forward = viewOf(run(changes, base).state);
        const backward = viewOf(run([...changes].reverse(), base).state);
        expect(backward).toEqual(forward);
      }),
    );
  });
});
