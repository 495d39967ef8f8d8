import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newListState } from '@roam/subgraph-lists/dist/crdt';
import type { LocalStore, PendingChange, SyncMeta } from '../LocalStore';
import { MemoryStore } from '../MemoryStore';
import { SqliteStore } from '../SqliteStore';

const meta = (nextChangeId: number, cursor = 0): SyncMeta => ({ clientId: 'dev', nextChangeId, cursor, lastHlc: undefined });
const change = (id: number): PendingChange => ({ id, listId: 'L', hlc: `000000000000001-0000${id}-dev`, op: { kind: 'SET_TITLE', title: `t${id}` } });

describe.each([
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => new SqliteStore(':memory:')],
] as const)('%s', (_name, open: () => LocalStore) => {
  it('queues changes in order and drops the acknowledged ones with the pulled lists in one step', () => {
    const store = open();
    expect(store.meta()).toBeUndefined();
    for (const id of [1, 2, 3]) store.enqueue(change(id), meta(id + 1));
    expect(store.pending().map((c) => c.id)).toEqual([1, 2, 3]);
    const list = newListState('L', '1', 'T', '000000000000001-00000-dev');
    store.applyPull([list], 2, meta(4, 17));
    expect(store.pending().map((c) => c.id)).toEqual([3]);
    expect(store.confirmed().get('L')).toEqual(list);
    expect(store.meta()).toEqual(meta(4, 17));
    store.close();
  });
});

describe('SqliteStore', () => {
  it('keeps the queue, the lists and the cursor across a reopen of the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'roam-sync-')), 'device.db');
    const first = new SqliteStore(file);
    first.enqueue(change(1), meta(2));
    first.enqueue(change(2), meta(3));
    first.applyPull([newListState('L', '1', 'T', '000000000000001-00000-dev')], 1, meta(3, 5));
    first.close();
    const again = new SqliteStore(file);
    expect(again.pending()).toEqual([change(2)]);
    expect(again.meta()).toEqual(meta(3, 5));
    expect([...again.confirmed().keys()]).toEqual(['L']);
    again.close();
  });
});
