import { encodeHlc, type ChangeOp, viewOf } from '../../crdt';
import { ListStore, type IncomingChange } from '../ListStore';
import { migrate } from '../migrate';
import { createPgliteTestDatabase, createPostgresTestDatabase, type TestDatabase } from '../testDatabases';
import { runJestWithVmModules, vmModulesEnabled } from '../vmModules';

const NOW = 1_800_000_000_000;
let ids = 0;
const hlc = (clientId: string, offsetMs = 0): string => encodeHlc({ wallMs: NOW + offsetMs, counter: ids++ % 1000, replica: clientId });
const change = (changeId: number, listId: string, op: ChangeOp, clientId = 'phone', offsetMs = 0): IncomingChange => ({ changeId, listId, hlc: hlc(clientId, offsetMs), op });

// PGlite needs `--experimental-vm-modules` inside Jest: without it, this file reruns its PGlite half in a child Jest that has it.
if (!vmModulesEnabled()) {
  it('passes on PGlite (child Jest with --experimental-vm-modules)', () => {
    const { status, output } = runJestWithVmModules(__filename, 'ListStore on pglite');
    expect(output).toMatch(/Tests:\s+\d+ skipped, 6 passed|Tests:\s+6 passed/);
    expect(status).toBe(0);
  }, 120_000);
}

describe.each([...(vmModulesEnabled() ? ([['pglite', createPgliteTestDatabase]] as const) : []), ['postgres', createPostgresTestDatabase]] as const)('ListStore on %s', (_name, create) => {
  let test: TestDatabase | undefined;
  let store: ListStore;

  beforeAll(async () => {
    test = await create();
    if (!test) return;
    await migrate(test.db);
    store = new ListStore(test.db, { maxClockDriftMs: 60_000, nowMs: () => NOW });
  }, 60_000);
  afterAll(async () => test?.drop());

  const maybe = (name: string, fn: () => Promise<void>): void =>
    it(name, async () => {
      if (!test) return console.warn(`PostgreSQL not reachable on 127.0.0.1:5432: skipped "${name}"`);
      await fn();
    });

  maybe('migrations are applied once', async () => {
    expect(await migrate(test!.db)).toEqual([]);
  });

  maybe('applies a push exactly once and reports per-change outcomes and the cursor', async () => {
    const batch = [
      change(1, 'L1', { kind: 'CREATE_LIST', title: 'Groceries' }),
      change(2, 'L1', { kind: 'ADD_ITEM', upc: '1', quantity: 2 }),
      change(3, 'L1', { kind: 'SET_TITLE', title: 'Old title' }, 'phone', -10_000),
    ];
    const first = await store.push('1', 'phone', batch);
    expect(first.outcomes).toEqual([
      { changeId: 1, outcome: 'APPLIED' },
      { changeId: 2, outcome: 'APPLIED' },
      { changeId: 3, outcome: 'SUPERSEDED' },
    ]);
    expect(first.lastChangeId).toBe(3);
    const again = await store.push('1', 'phone', [...batch, change(4, 'L1', { kind: 'INCREMENT_QUANTITY', upc: '1', delta: 3 })]);
    expect(again.outcomes.map((o) => o.outcome)).toEqual(['ALREADY_APPLIED', 'ALREADY_APPLIED', 'ALREADY_APPLIED', 'APPLIED']);
    expect(again.cursor).toBeGreaterThan(first.cursor);
    const [state] = await store.findVisible('1', ['L1']);
    expect(viewOf(state!)).toMatchObject({ title: 'Groceries', items: [{ upc: '1', quantity: 5, checked: false }] });
    expect((await store.log()).length).toBe(4);
  });

  maybe('refuses a gap, an invisible list, a far-future clock and a foreign client id, applying nothing', async () => {
    await store.push('2', 'tablet', [change(1, 'L2', { kind: 'CREATE_LIST', title: 'Private' }, 'tablet')]);
    const before = await store.log();
    await expect(store.push('1', 'phone', [change(5, 'L1', { kind: 'SET_TITLE', title: 'x' }), change(7, 'L1', { kind: 'SET_TITLE', title: 'y' })])).rejects.toMatchObject({
      code: 'CHANGE_ID_GAP',
      changeId: 7,
    });
    await expect(store.push('1', 'phone', [change(5, 'L1', { kind: 'SET_TITLE', title: 'x' }), change(6, 'L2', { kind: 'SET_TITLE', title: 'mine' })])).rejects.toMatchObject({
      code: 'LIST_NOT_VISIBLE',
    });
    await expect(store.push('1', 'phone', [change(5, 'L1', { kind: 'SET_TITLE', title: 'x' }), change(6, 'L1', { kind: 'SET_TITLE', title: 'future' }, 'phone', 3_600_000)])).rejects.toMatchObject({
      code: 'CLOCK_DRIFT',
    });
    await expect(store.push('1', 'tablet', [change(2, 'L1', { kind: 'SET_TITLE', title: 'x' }, 'tablet')])).rejects.toMatchObject({ code: 'CLIENT_ID_TAKEN' });
    expect(await store.log()).toEqual(before);
    expect((await store.pull('1', 'phone', 0, 100)).lastChangeId).toBe(4);
  });

  maybe('pulls page by page, only visible lists, with tombstones and the client last change id', async () => {
    await store.push('1', 'phone', [change(5, 'L3', { kind: 'CREATE_LIST', title: 'Party' }), change(6, 'L3', { kind: 'DELETE_LIST' })]);
    const seen: string[] = [];
    let cursor = 0;
    for (let page = await store.pull('1', 'phone', cursor, 2); ; page = await store.pull('1', 'phone', cursor, 2)) {
      expect(page.changes.length).toBeLessThanOrEqual(2);
      seen.push(...page.changes.map((c) => `${c.listId}:${c.op.kind}`));
      cursor = page.cursor;
      expect(page.lastChangeId).toBe(6);
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(['L1:CREATE_LIST', 'L1:ADD_ITEM', 'L1:SET_TITLE', 'L1:INCREMENT_QUANTITY', 'L3:CREATE_LIST', 'L3:DELETE_LIST']);
    expect(cursor).toBe(Math.max(...(await store.log()).map((c) => c.seq)));
    expect((await store.pull('1', 'phone', cursor, 2)).changes).toEqual([]);
    expect((await store.pull('2', undefined, 0, 100)).changes.map((c) => c.listId)).toEqual(['L2']);
  });

  maybe('sharing makes a list visible to the member, and edits by the member are accepted', async () => {
    await store.push('2', 'tablet', [change(2, 'L2', { kind: 'ADD_MEMBER', userId: '1' }, 'tablet')]);
    await expect(store.push('1', 'phone', [change(7, 'L2', { kind: 'EDIT_NOTE', base: '', text: 'bring bags' })])).resolves.toMatchObject({ outcomes: [{ changeId: 7, outcome: 'APPLIED' }] });
    expect((await store.findVisible('1', ['L2']))[0]?.note).toBe('bring bags');
  });

  maybe('rebuilding the projection from the log gives the same state', async () => {
    await store.push('1', 'phone', [
      change(8, 'L1', { kind: 'EDIT_NOTE', base: '', text: 'eggs\nmilk\n' }),
      change(9, 'L1', { kind: 'EDIT_NOTE', base: '', text: 'bread\n' }),
      change(10, 'L1', { kind: 'SET_CHECKED', upc: '1', checked: true }),
      change(11, 'L1', { kind: 'ADD_ITEM', upc: '2', quantity: 1 }),
    ]);
    const before = await store.allStates();
    expect(before.find((s) => s.id === 'L1')?.conflicts).toHaveLength(1);
    expect(await store.rebuildProjection()).toBe((await store.log()).length);
    expect(await store.allStates()).toEqual(before);
    expect((await store.listsOfUsers(['1']))[0]!.map((s) => s.id)).toEqual(['L1', 'L2']);
  });
});
