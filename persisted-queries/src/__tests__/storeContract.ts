import { waitFor } from '@roam/testkit';
import { sha256Hex } from '../sha256Hex';
import { ConflictingOperationError, type PersistedQueryStore } from '../store/types';

/** A store under test, and optionally a second handle on the same backend (another replica). */
export interface ContractSubject {
  readonly store: PersistedQueryStore;
  /** Another store sharing the backend, to see broadcasts across processes; the store itself when there is none. */
  readonly peer: PersistedQueryStore;
  close(): Promise<void>;
}

const op = (text: string, name?: string) => ({ id: sha256Hex(text), body: text, ...(name ? { name, type: 'query' } : {}) });
const A = op('query A { me { id } }', 'A');
const B = op('query B { me { name } }', 'B');
const C = op('query C { me { username } }', 'C');

/**
 * The one contract every {@link PersistedQueryStore} implementation passes (memory, Redis, LRU over Redis).
 * @param create - makes a fresh, empty subject per test.
 */
export function describeStoreContract(name: string, create: () => Promise<ContractSubject>): void {
  describe(`PersistedQueryStore contract: ${name}`, () => {
    let subject: ContractSubject;
    beforeEach(async () => {
      subject = await create();
    });
    afterEach(async () => {
      await subject.close();
    });

    it('knows nothing at first', async () => {
      expect(await subject.store.lookup(A.id)).toEqual({});
      expect(await subject.store.list()).toEqual([]);
    });

    it('registers operations unscoped and counts new versus existing ids', async () => {
      expect(await subject.store.push([A, B])).toEqual({ added: 2, existing: 0 });
      expect(await subject.store.push([A, C])).toEqual({ added: 1, existing: 1 });
      expect(await subject.store.lookup(A.id)).toEqual({ operation: { ...A, clients: [{}] } });
      expect((await subject.peer.lookup(C.id)).operation?.body).toBe(C.body);
      expect((await subject.store.list()).map((o) => o.id)).toEqual([A.id, B.id, C.id].sort());
    });

    it('keeps every scope an operation was pushed under and filters the list by client', async () => {
      await subject.store.push([A], { clientName: 'ios', clientVersion: '3.2.0' });
      await subject.store.push([A, B], { clientName: 'android' });
      expect((await subject.store.lookup(A.id)).operation?.clients).toEqual([{ clientName: 'android' }, { clientName: 'ios', clientVersion: '3.2.0' }]);
      expect((await subject.store.list({ clientName: 'ios' })).map((o) => o.id)).toEqual([A.id]);
      expect((await subject.store.list({ clientName: 'android' })).map((o) => o.id)).toEqual([A.id, B.id].sort());
      expect(await subject.store.list({ clientName: 'web' })).toEqual([]);
    });

    it('refuses an id already registered with another text and writes nothing of that push', async () => {
      await subject.store.push([A]);
      await expect(subject.store.push([B, { id: A.id, body: 'query A { me { name } }' }])).rejects.toBeInstanceOf(ConflictingOperationError);
      expect(await subject.store.lookup(B.id)).toEqual({});
      expect((await subject.store.lookup(A.id)).operation?.body).toBe(A.body);
    });

    it('keeps APQ registrations apart from the list', async () => {
      await subject.store.putAutomatic(B.id, B.body, 60);
      expect(await subject.store.lookup(B.id)).toEqual({ automaticBody: B.body });
      expect(await subject.store.list()).toEqual([]);
    });

    it('revokes one id entirely (list entry and APQ text) and says whether anything was removed', async () => {
      await subject.store.push([A, B]);
      await subject.store.putAutomatic(A.id, A.body, 0);
      expect(await subject.store.revoke(A.id)).toBe(true);
      expect(await subject.store.lookup(A.id)).toEqual({});
      expect(await subject.store.revoke(A.id)).toBe(false);
      expect((await subject.store.list()).map((o) => o.id)).toEqual([B.id]);
    });

    it('revokes a client version, a whole client, and drops operations left without a scope', async () => {
      await subject.store.push([A, B], { clientName: 'ios', clientVersion: '3.2.0' });
      await subject.store.push([B], { clientName: 'ios', clientVersion: '3.3.0' });
      await subject.store.push([C]);
      await subject.store.push([C], { clientName: 'ios', clientVersion: '3.3.0' });
      expect(await subject.store.revokeClient('ios', '3.2.0')).toEqual([A.id, B.id].sort());
      expect(await subject.store.lookup(A.id)).toEqual({});
      expect((await subject.store.lookup(B.id)).operation?.clients).toEqual([{ clientName: 'ios', clientVersion: '3.3.0' }]);
      expect(await subject.store.revokeClient('ios')).toEqual([B.id, C.id].sort());
      expect(await subject.store.lookup(B.id)).toEqual({});
      expect((await subject.store.lookup(C.id)).operation?.clients).toEqual([{}]);
      expect(await subject.store.revokeClient('ios')).toEqual([]);
    });

    it('broadcasts revocations to listeners sharing the backend', async () => {
      const seen: string[] = [];
      const stop = await subject.peer.onRevoke((ids) => {
        if (ids !== 'all') seen.push(...ids);
      });
      await subject.store.push([A]);
      await subject.store.revoke(A.id);
      await waitFor(() => seen.filter((id) => id === A.id).length >= 2, 'push and revoke broadcasts', 5000);
      await stop();
    });

    it('serves no revoked operation through the other handle, even after it read it', async () => {
      await subject.store.push([A]);
      expect((await subject.peer.lookup(A.id)).operation?.id).toBe(A.id);
      await subject.store.revoke(A.id);
      await waitFor(async () => (await subject.peer.lookup(A.id)).operation === undefined, 'the peer to forget A', 5000);
    });
  });
}
