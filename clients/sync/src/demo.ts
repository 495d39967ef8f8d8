#!/usr/bin/env node
import { MemoryStore } from './MemoryStore';
import { SyncEngine } from './SyncEngine';

/**
 * `roam-sync-demo [url]`: two simulated devices (a phone and a tablet of user 1) edit one shopping list while
 * offline, then sync through `url` (default `http://127.0.0.1:4000/graphql`; the lists subgraph's own
 * `http://127.0.0.1:4005/graphql` works too) and print what each step shows. Exits 1 with the error on failure.
 */
async function main(url: string): Promise<void> {
  const phone = new SyncEngine({ url, store: new MemoryStore() });
  const tablet = new SyncEngine({ url, store: new MemoryStore() });
  const show = (label: string, engine: SyncEngine, id: string): void => {
    const l = engine.list(id);
    process.stdout.write(
      `${label.padEnd(34)} [${engine.status(id)}] ${JSON.stringify({ title: l?.title, items: l?.items.map((i) => `${i.upc}×${i.quantity}${i.checked ? ' ✓' : ''}`), note: l?.note, conflicts: l?.conflicts.length })}\n`,
    );
  };
  const id = phone.createList('Saturday market');
  phone.addItem(id, '1', 2);
  phone.editNote(id, 'bring bags\nleave at 9\n');
  show('phone, offline edits', phone, id);
  await phone.sync();
  await tablet.sync();
  show('tablet, after its first sync', tablet, id);

  // Both devices go offline and edit the same list.
  phone.setTitle(id, 'Saturday farmers market');
  phone.incrementQuantity(id, '1', 1);
  phone.editNote(id, 'bring bags\nleave at 8\n');
  tablet.addItem(id, '2', 1);
  tablet.setChecked(id, '1', true);
  tablet.incrementQuantity(id, '1', 2);
  tablet.editNote(id, 'bring bags\nleave at 10\n');
  show('phone, offline', phone, id);
  show('tablet, offline', tablet, id);

  await phone.sync();
  await tablet.sync();
  await phone.sync();
  show('phone, after sync', phone, id);
  show('tablet, after sync', tablet, id);
  const conflict = tablet.list(id)?.conflicts[0];
  if (conflict) {
    process.stdout.write(`note conflict ${conflict.id}: ours ${JSON.stringify(conflict.ours)} / theirs ${JSON.stringify(conflict.theirs)}\n`);
    tablet.resolveConflict(id, conflict.id, 'bring bags\nleave at 9:30\n');
    await tablet.sync();
    await phone.sync();
    show('phone, after the tablet resolved', phone, id);
  }
}

main(process.argv[2] ?? 'http://127.0.0.1:4000/graphql').catch((error: Error) => {
  process.stderr.write(`roam-sync-demo: ${error.message}\n`);
  process.exit(1);
});
