import fc from 'fast-check';
import { MemoryStore, SqliteStore, SyncEngine, syncManifest, type FetchLike, type LocalStore } from '@roam/sync-client';
import type { ListView } from '@roam/subgraph-lists/dist/crdt';
import { waitFor } from '@roam/testkit';
import { postGraphQL } from '@roam/testkit';
import { client as createWsClient, record, wsUrl } from '@roam/testkit';
import { startListsStack, type ListsStack } from '../support/listsStack';

// Offline-first sync through the real gateway and lists subgraph (PGlite in memory): bad input, exactly-once
// pushes, and a fast-check convergence property with replicas on a faulty network.

const LIST_FIELDS = 'id title note archived deleted owner { id } members { id } items { upc quantity checked } conflicts { id base ours theirs }';

let stack: ListsStack;
beforeAll(async () => {
  stack = await startListsStack();
}, 120_000);
afterAll(async () => stack?.stop());

async function serverView(id: string): Promise<unknown> {
  const res = await postGraphQL(stack.gateway.url, { query: `query($id: ID!) { shoppingList(id: $id) { ${LIST_FIELDS} } }`, variables: { id } });
  const l = res.body.data.shoppingList;
  if (!l) return undefined;
  return {
    id: l.id,
    ownerId: l.owner.id,
    title: l.title,
    archived: l.archived,
    deleted: l.deleted,
    note: l.note,
    conflicts: l.conflicts,
    items: l.items,
    memberIds: l.members.map((m: { id: string }) => m.id),
  };
}

const push = (clientId: string, changes: unknown[]) =>
  postGraphQL(stack.gateway.url, {
    query: 'mutation($c: ID!, $ch: [ChangeInput!]!) { pushChanges(clientId: $c, changes: $ch) { outcomes { id outcome } lastChangeId cursor } }',
    variables: { c: clientId, ch: changes },
  });
const hlc = (clientId: string, aheadMs = 0) => `${String(Date.now() + aheadMs).padStart(15, '0')}-00000-${clientId}`;

describe('lists sync through the gateway', () => {
  it('serves the seeded lists with products resolved through federation, and hides lists of other users', async () => {
    const res = await postGraphQL(stack.gateway.url, { query: '{ me { id lists { id title items { quantity product { upc name } } } } hidden: shoppingList(id: "hardware") { id } }' });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.me.lists).toEqual([
      {
        id: 'groceries',
        title: 'Weekly groceries',
        items: [
          { quantity: 2, product: { upc: '1', name: 'Table' } },
          { quantity: 1, product: { upc: '2', name: 'Couch' } },
        ],
      },
    ]);
    expect(res.body.data.hidden).toBeNull();
  });

  it('refuses a gap, an invisible list, a far-future clock and a malformed op with stable codes, applying nothing', async () => {
    const c = 'bad-input-device';
    const ok = { id: 1, listId: 'bad-1', hlc: hlc(c), kind: 'CREATE_LIST', title: 'Mine' };
    const cases: [unknown[], string][] = [
      [[ok, { id: 3, listId: 'bad-1', hlc: hlc(c), kind: 'SET_TITLE', title: 'x' }], 'CHANGE_ID_GAP'],
      [[ok, { id: 2, listId: 'hardware', hlc: hlc(c), kind: 'SET_TITLE', title: 'x' }], 'LIST_NOT_VISIBLE'],
      [[ok, { id: 2, listId: 'bad-1', hlc: hlc(c, 3_600_000), kind: 'SET_TITLE', title: 'x' }], 'CLOCK_DRIFT'],
      [[ok, { id: 2, listId: 'bad-1', hlc: hlc(c), kind: 'ADD_ITEM', upc: '1' }], 'INVALID_CHANGE'],
      [[ok, { id: 2, listId: 'bad-1', hlc: 'yesterday', kind: 'SET_TITLE', title: 'x' }], 'INVALID_CHANGE'],
      [[ok, { id: 2, listId: 'x'.repeat(65), hlc: hlc(c), kind: 'CREATE_LIST', title: 'x' }], 'INVALID_CHANGE'],
      [[ok, { id: 2, listId: 'bad-1', hlc: hlc('another-device'), kind: 'SET_TITLE', title: 'x' }], 'INVALID_CHANGE'],
    ];
    for (const [changes, code] of cases) {
      const res = await push(c, changes);
      expect(res.body.errors?.[0]?.extensions?.code).toBe(code);
      expect(res.body.errors[0].message).not.toMatch(/\n\s+at /);
    }
    expect(await serverView('bad-1')).toBeUndefined();
    const pulled = await postGraphQL(stack.gateway.url, { query: `{ pullChanges(clientId: "${c}", since: null, limit: 1000) { lastChangeId changes { listId } } }` });
    expect(pulled.body.data.pullChanges.lastChangeId).toBe(0);
    expect(pulled.body.data.pullChanges.changes.map((x: { listId: string }) => x.listId)).not.toContain('bad-1');
    const badCursor = await postGraphQL(stack.gateway.url, { query: '{ pullChanges(since: "yesterday") { cursor } }' });
    expect(badCursor.body.errors[0].extensions.code).toBe('INVALID_CURSOR');
  });

  it('applies a resent push once and reports per-change outcomes', async () => {
    const c = 'resend-device';
    const changes = [
      { id: 1, listId: 'resend-1', hlc: hlc(c), kind: 'CREATE_LIST', title: 'Party' },
      { id: 2, listId: 'resend-1', hlc: hlc(c), kind: 'ADD_ITEM', upc: '3', quantity: 1 },
      { id: 3, listId: 'resend-1', hlc: hlc(c), kind: 'INCREMENT_QUANTITY', upc: '3', delta: 4 },
    ];
    const first = await push(c, changes);
    expect(first.body.data.pushChanges.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(['APPLIED', 'APPLIED', 'APPLIED']);
    const again = await push(c, changes);
    expect(again.body.data.pushChanges.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(['ALREADY_APPLIED', 'ALREADY_APPLIED', 'ALREADY_APPLIED']);
    expect(again.body.data.pushChanges.lastChangeId).toBe(3);
    expect(await serverView('resend-1')).toMatchObject({ items: [{ upc: '3', quantity: 5, checked: false }] });
    const onLists = await postGraphQL(stack.gateway.url, { query: '{ product(upc: "3") { upc onLists { id } } }' });
    expect(onLists.body.data.product.onLists).toEqual([{ id: 'resend-1' }]);
  });

  it('two devices edit offline and converge; overlapping note edits become a conflict with both sides', async () => {
    const a = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore() });
    const b = new SyncEngine({ url: stack.gateway.url, store: new SqliteStore(':memory:') });
    const id = a.createList('Picnic');
    a.editNote(id, 'bread\ncheese\n');
    await a.sync();
    await b.sync();
    expect(b.list(id)?.title).toBe('Picnic');
    // Offline: both edit the same line of the note, different fields otherwise.
    a.editNote(id, 'rye bread\ncheese\n');
    b.editNote(id, 'white bread\ncheese\n');
    a.setTitle(id, 'Picnic Saturday');
    b.addItem(id, '4', 2);
    expect(a.status(id)).toBe('pending');
    await a.sync();
    await b.sync();
    await a.sync();
    expect(a.list(id)).toEqual(b.list(id));
    expect(a.list(id)).toEqual(await serverView(id));
    const view = a.list(id)!;
    expect(view).toMatchObject({ title: 'Picnic Saturday', note: 'rye bread\ncheese\n', items: [{ upc: '4', quantity: 2, checked: false }] });
    expect(view.conflicts).toEqual([{ id: expect.stringMatching(/^.+:\d+$/), base: 'bread\ncheese\n', ours: 'rye bread\ncheese\n', theirs: 'white bread\ncheese\n' }]);
    expect(b.status(id)).toBe('conflict');
    b.resolveConflict(id, view.conflicts[0]!.id, 'rye or white bread\ncheese\n');
    await b.sync();
    await a.sync();
    expect(a.list(id)).toMatchObject({ note: 'rye or white bread\ncheese\n', conflicts: [] });
    expect(a.status(id)).toBe('synced');
  });
});

/**
 * A transport that misbehaves on purpose, driven by a seeded PRNG: drops requests before they leave, drops
 * answers after the server acted, duplicates requests, and replays old requests later (reordering).
 */
function faultyFetch(seed: number, enabled: () => boolean): FetchLike {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const delayed: (() => Promise<unknown>)[] = [];
  return async (url, init) => {
    const send = () => fetch(url, init);
    if (enabled()) {
      // Replay an old request first: a late duplicate that arrives after newer ones.
      if (delayed.length > 0 && rand() < 0.3) await delayed.shift()!().catch(() => undefined);
      const r = rand();
      if (r < 0.15) throw new Error('network down (request lost)');
      if (r < 0.3) {
        await send();
        throw new Error('network down (answer lost)');
      }
      if (r < 0.45) await send(); // duplicated request
      if (r < 0.55) delayed.push(send);
    }
    return send();
  };
}

type Edit =
  | { k: 'create'; title: string }
  | { k: 'title'; title: string }
  | { k: 'archive'; v: boolean }
  | { k: 'delete' }
  | { k: 'add'; upc: string; q: number }
  | { k: 'remove'; upc: string }
  | { k: 'inc'; upc: string; d: number }
  | { k: 'check'; upc: string; v: boolean }
  | { k: 'note'; line: number; text: string }
  | { k: 'sync' };

const upc = fc.constantFrom('1', '2', '3');
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ k: fc.constant('create' as const), title: fc.constantFrom('A', 'B', 'C') }),
  fc.record({ k: fc.constant('title' as const), title: fc.constantFrom('x', 'y', 'z') }),
  fc.record({ k: fc.constant('archive' as const), v: fc.boolean() }),
  fc.record({ k: fc.constant('delete' as const) }),
  fc.record({ k: fc.constant('add' as const), upc, q: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ k: fc.constant('remove' as const), upc }),
  fc.record({ k: fc.constant('inc' as const), upc, d: fc.constantFrom(-2, -1, 1, 2) }),
  fc.record({ k: fc.constant('check' as const), upc, v: fc.boolean() }),
  fc.record({ k: fc.constant('note' as const), line: fc.integer({ min: 0, max: 2 }), text: fc.constantFrom('eggs', 'milk', 'tea') }),
  fc.record({ k: fc.constant('sync' as const) }),
);

function applyEdit(engine: SyncEngine, e: Edit, pick: number): void {
  const lists = engine.lists().filter((l) => !l.deleted && l.id !== 'groceries');
  if (e.k === 'create' || lists.length === 0) {
    engine.createList(e.k === 'create' ? e.title : 'new');
    return;
  }
  const list = lists[pick % lists.length]!;
  switch (e.k) {
    case 'title':
      return engine.setTitle(list.id, e.title);
    case 'archive':
      return engine.setArchived(list.id, e.v);
    case 'delete':
      return pick % 4 === 0 ? engine.deleteList(list.id) : engine.setTitle(list.id, 'kept');
    case 'add':
      return engine.addItem(list.id, e.upc, e.q);
    case 'remove':
      return engine.removeItem(list.id, e.upc);
    case 'inc':
      return engine.incrementQuantity(list.id, e.upc, e.d);
    case 'check':
      return engine.setChecked(list.id, e.upc, e.v);
    case 'note': {
      const lines = (list.note || 'a\nb\nc\n').split('\n');
      lines[e.line] = e.text;
      return engine.editNote(list.id, lines.join('\n'));
    }
    case 'sync':
      return;
  }
}

describe("persisted operations in the gateway's default apq mode", () => {
  it('a device sending ids only registers each operation on its first miss, then sends ids only', async () => {
    const bodies: Record<string, unknown>[] = [];
    const fetchFn: FetchLike = (url, init) => {
      bodies.push(JSON.parse(init.body) as Record<string, unknown>);
      return fetch(url, init);
    };
    const a = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore(), fetch: fetchFn, persistedQueries: 'hash' });
    const b = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore(), persistedQueries: 'hash' });
    const id = a.createList('By hash');
    a.addItem(id, '2', 1);
    await a.sync();
    await b.sync();
    expect(b.list(id)).toEqual(a.list(id));
    a.setTitle(id, 'By hash, again');
    await a.sync();
    expect(a.pending()).toEqual([]);
    const ids = new Set(syncManifest().operations.map((o) => o.id));
    for (const body of bodies) expect(ids.has((body.extensions as { persistedQuery: { sha256Hash: string } }).persistedQuery.sha256Hash)).toBe(true);
    // Each operation's text went out at most once (on the miss that registered it), every later request by id only.
    const withText = bodies.filter((body) => body.query !== undefined).map((body) => body.query);
    expect(new Set(withText).size).toBe(withText.length);
    expect(withText.length).toBeGreaterThan(0); // this device was the first to send ids: its first requests missed
    expect(bodies.length - withText.length).toBeGreaterThanOrEqual(4);
  });
});

describe("live changes through the gateway's graphql-ws", () => {
  it('listChanges resumes from a cursor: the backlog first, then each new push', async () => {
    const a = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore() });
    await a.sync();
    const cursor = (await postGraphQL(stack.gateway.url, { query: '{ pullChanges(since: null, limit: 1) { cursor } }' })).body.data.pullChanges;
    const id = a.createList('Live');
    await a.sync();
    const client = createWsClient(stack.gateway.url);
    const sub = record(client, `subscription { listChanges(since: ${JSON.stringify(cursor.cursor)}) { cursor changes { listId kind title } } }`);
    try {
      const [backlog] = await sub.waitResults(1);
      expect(backlog!.errors).toBeUndefined();
      expect(backlog!.data.listChanges.changes).toContainEqual({ listId: id, kind: 'CREATE_LIST', title: 'Live' });
      a.setTitle(id, 'Live, renamed');
      await a.sync();
      const results = await sub.waitResults(2);
      expect(results[1]!.data.listChanges.changes).toEqual([{ listId: id, kind: 'SET_TITLE', title: 'Live, renamed' }]);
      expect(Number(results[1]!.data.listChanges.cursor)).toBeGreaterThan(Number(backlog!.data.listChanges.cursor));
    } finally {
      sub.dispose();
      await client.dispose();
    }
  });

  it('a watching device syncs on its own when another device pushes (live trigger)', async () => {
    const a = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore() });
    const b = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore() });
    await b.sync();
    const stop = b.watch(wsUrl(stack.gateway.url));
    try {
      const id = a.createList('Seen live');
      a.addItem(id, '5', 3);
      await a.sync();
      await waitFor(() => b.list(id)?.items.length === 1 || undefined, 'device b to pull the live change', 15_000, 20);
      expect(b.list(id)).toEqual(a.list(id));
      expect(b.status(id)).toBe('synced');
    } finally {
      await stop();
    }
  });
});

/** A change as a replica sent it (request body), keyed `clientId:id` (the server's change tag). */
interface SentChange {
  readonly clientId: string;
  readonly id: number;
  readonly listId: string;
  readonly hlc: string;
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** What the replicas sent and which outcomes the server's answers (the ones that reached a client) reported. */
interface Ledger {
  readonly sent: Map<string, SentChange>;
  readonly acked: Map<string, Set<string>>;
}

/**
 * Wraps a transport to record, on the client's side of the wire, every change sent and every push outcome
 * that came back to the client (an answer lost on the way back is not an acknowledgement).
 */
function recordingFetch(inner: FetchLike, ledger: Ledger): FetchLike {
  return async (url, init) => {
    const body = JSON.parse(init.body) as { variables?: { clientId?: string; changes?: { id: number }[] } };
    const clientId = body.variables?.clientId;
    const changes = body.variables?.changes;
    if (clientId && changes) for (const c of changes) ledger.sent.set(`${clientId}:${c.id}`, { ...(c as SentChange), clientId });
    const res = await inner(url, init);
    const text = await res.text();
    if (clientId && changes) {
      const outcomes = (JSON.parse(text) as { data?: { pushChanges?: { outcomes: { id: number; outcome: string }[] } } }).data?.pushChanges?.outcomes ?? [];
      for (const o of outcomes) {
        const key = `${clientId}:${o.id}`;
        ledger.acked.set(key, (ledger.acked.get(key) ?? new Set()).add(o.outcome));
      }
    }
    return { status: res.status, text: async () => text };
  };
}

/**
 * Checks that every acknowledged change (APPLIED, ALREADY_APPLIED or CONFLICT seen by a client) shows in the final
 * lists unless one of the README's documented rules superseded it. Derived from the rules, not from the merge code:
 * - delete wins: a deleted list shows no other effect; an acknowledged DELETE_LIST leaves the list deleted;
 * - title / archived / checked are last-writer-wins by HLC (the encoded HLC orders as a string): the acknowledged
 *   value shows unless a write to the same register carries a greater HLC;
 * - items are add-wins: an acknowledged add shows unless a remove observed its tag (`clientId:id`);
 * - a check or increment of an absent item is superseded, and removing an item resets it: checks and quantities
 *   are only checked where no remove of the item was sent and the change was seen APPLIED (not just ALREADY_APPLIED);
 * - quantity is a PN-counter: on a list this run created, where every add and increment of the item was seen APPLIED
 *   and no remove was sent, the quantity is their sum (replicas also edit lists of earlier runs, whose history is
 *   not in this run's ledger);
 * - a note edit that conflicted stays a conflict (both sides) until a RESOLVE_CONFLICT for it; an applied note edit
 *   is the note when no other note change was sent for that list.
 * @returns the number of acknowledged changes whose effect was asserted (so a run that checks nothing shows).
 */
function expectAcknowledgedEffects(lists: readonly ListView[], ledger: Ledger): number {
  const byId = new Map(lists.map((l) => [l.id, l]));
  const sent = [...ledger.sent.entries()];
  const others = (key: string, listId: string, kinds: string[], pred: (c: SentChange) => boolean = () => true) =>
    sent.filter(([k, c]) => k !== key && c.listId === listId && kinds.includes(c.kind) && pred(c)).map(([, c]) => c);
  let checked = 0;
  for (const [key, outcomes] of ledger.acked) {
    const c = ledger.sent.get(key)!;
    const list = byId.get(c.listId);
    if (outcomes.has('SUPERSEDED') && outcomes.size === 1) continue;
    expect(list).toBeDefined(); // an acknowledged change's list exists everywhere (creation is never undone)
    if (!list) continue;
    const seenApplied = outcomes.has('APPLIED');
    if (c.kind === 'DELETE_LIST') {
      expect(list.deleted).toBe(true);
      checked++;
    }
    if (list.deleted) continue; // delete wins
    const later = (kinds: string[], pred?: (o: SentChange) => boolean) => others(key, c.listId, kinds, pred).some((o) => o.hlc > c.hlc);
    const item = list.items.find((i) => i.upc === c.upc);
    const removes = others(key, c.listId, ['REMOVE_ITEM'], (o) => o.upc === c.upc);
    switch (c.kind) {
      case 'CREATE_LIST':
      case 'SET_TITLE':
        if (!later(['SET_TITLE', 'CREATE_LIST'])) {
          expect(list.title).toBe(c.title);
          checked++;
        }
        break;
      case 'SET_ARCHIVED':
        if (!later(['SET_ARCHIVED'])) {
          expect(list.archived).toBe(c.archived);
          checked++;
        }
        break;
      case 'ADD_ITEM':
        if (!removes.some((r) => (r.observed as string[]).includes(key))) {
          expect(item).toBeDefined();
          checked++;
        }
        break;
      case 'SET_CHECKED':
        if (seenApplied && removes.length === 0 && !later(['SET_CHECKED'], (o) => o.upc === c.upc)) {
          expect(item?.checked).toBe(c.checked);
          checked++;
        }
        break;
      case 'INCREMENT_QUANTITY': {
        // Only on lists this run created: a list from an earlier run or test may carry quantities from changes not in the ledger.
        const createdHere = sent.some(([, o]) => o.kind === 'CREATE_LIST' && o.listId === c.listId);
        const contributions = sent.filter(([, o]) => o.listId === c.listId && o.upc === c.upc && (o.kind === 'ADD_ITEM' || o.kind === 'INCREMENT_QUANTITY'));
        if (createdHere && seenApplied && removes.length === 0 && contributions.every(([k]) => ledger.acked.get(k)?.has('APPLIED'))) {
          expect(item?.quantity).toBe(contributions.reduce((sum, [, o]) => sum + Number(o.kind === 'ADD_ITEM' ? o.quantity : o.delta), 0));
          checked++;
        }
        break;
      }
      case 'EDIT_NOTE':
        if (outcomes.has('CONFLICT') && !others(key, c.listId, ['RESOLVE_CONFLICT'], (o) => o.conflictId === key).length) {
          expect(list.conflicts).toContainEqual(expect.objectContaining({ id: key, base: c.base, theirs: c.text }));
          checked++;
        } else if (seenApplied && others(key, c.listId, ['EDIT_NOTE', 'RESOLVE_CONFLICT']).length === 0) {
          expect(list.note).toBe(c.text);
          checked++;
        }
        break;
    }
  }
  return checked;
}

describe('convergence property (real gateway and subgraph, faulty network)', () => {
  it('every replica and the server hold identical lists after everyone syncs, with every acknowledged change in effect', async () => {
    let checkedEffects = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 5 }),
        fc.array(fc.tuple(fc.nat(4), edit, fc.nat(20)), { minLength: 5, maxLength: 30 }),
        fc.integer(),
        // Clock skew per replica, within the server's allowed drift (LISTS_MAX_CLOCK_DRIFT_MS, 60 s by default).
        fc.array(fc.integer({ min: -40_000, max: 40_000 }), { minLength: 5, maxLength: 5 }),
        async (replicaCount, steps, seed, skewsMs) => {
          let faults = true;
          const stores: LocalStore[] = [];
          const ledger: Ledger = { sent: new Map(), acked: new Map() };
          const engines = Array.from({ length: replicaCount }, (_, i) => {
            const store = i === 0 ? new SqliteStore(':memory:') : new MemoryStore();
            stores.push(store);
            const skewMs = skewsMs[i]!;
            return new SyncEngine({
              url: stack.gateway.url,
              store,
              fetch: recordingFetch(
                faultyFetch(seed + i, () => faults),
                ledger,
              ),
              nowMs: () => Date.now() + skewMs,
              attempts: 8,
              retryBaseDelayMs: 5,
            });
          });
          for (const [who, e, pick] of steps) {
            const engine = engines[who % replicaCount]!;
            if (e.k === 'sync')
              await engine.sync().catch(() => undefined); // a sync may give up; its changes stay queued
            else applyEdit(engine, e, pick);
          }
          // The network heals: everyone syncs twice (the second round brings in what others pushed in the first).
          faults = false;
          for (const engine of engines) await engine.sync();
          for (const engine of engines) await engine.sync();
          const reference = engines[0]!.lists();
          for (const engine of engines) {
            expect(engine.pending()).toEqual([]);
            expect(engine.lists()).toEqual(reference);
          }
          for (const list of reference) expect(await serverView(list.id)).toEqual(list);
          // Every change was acknowledged by the end (the healed syncs saw each outcome), and each one's effect shows.
          for (const key of ledger.sent.keys()) expect(ledger.acked.has(key)).toBe(true);
          checkedEffects += expectAcknowledgedEffects(reference, ledger);
          for (const s of stores) s.close();
        },
      ),
      { numRuns: 8, endOnFailure: true }, // no shrinking: a failure reports its counterexample at once instead of replaying for minutes
    );
    expect(checkedEffects).toBeGreaterThan(0);
  }, 240_000);
});
