import { MemoryPersistedQueryStore } from '../store/MemoryPersistedQueryStore';
import { CachedPersistedQueryStore } from '../store/CachedPersistedQueryStore';
import { describeStoreContract } from './storeContract';

describeStoreContract('in-memory', async () => {
  const store = new MemoryPersistedQueryStore();
  return { store, peer: store, close: () => store.close() };
});

describeStoreContract('LRU over in-memory', async () => {
  const inner = new MemoryPersistedQueryStore();
  const store = new CachedPersistedQueryStore(inner, { maxEntries: 100 });
  await store.start();
  return { store, peer: store, close: () => store.close() };
});
