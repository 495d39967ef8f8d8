import { MemoryRegistrationStore } from '../MemoryRegistrationStore';
import type { PushRegistration } from '../PushRegistration';

const registration = (id: string, subscriptionKey: string): PushRegistration => ({
  id,
  platform: 'apns',
  token: 'a'.repeat(64),
  documentId: 'sha256:abc',
  operationName: undefined,
  variables: {},
  clientName: undefined,
  subscriptionKey,
  state: 'background',
  lastEventId: undefined,
  createdAt: 0,
});

describe('MemoryRegistrationStore resume point (push bridge cursor)', () => {
  it('keeps a subscription cursor while it has registrations and drops it with the last one', async () => {
    const store = new MemoryRegistrationStore();
    expect(await store.setCursor('s1', 'me', 'reviews:REVIEW_ADDED@1-0')).toBe(false); // no registration yet
    await store.put(registration('r1', 's1'));
    await store.put(registration('r2', 's1'));
    expect(await store.setCursor('s1', 'me', 'reviews:REVIEW_ADDED@2-0')).toBe(true);
    expect(await store.cursor('s1')).toBe('reviews:REVIEW_ADDED@2-0');
    await store.delete('r1');
    expect(await store.cursor('s1')).toBe('reviews:REVIEW_ADDED@2-0');
    await store.delete('r2');
    expect(await store.cursor('s1')).toBeUndefined();
    await store.put(registration('r3', 's1'));
    expect(await store.cursor('s1')).toBeUndefined(); // a new registration starts live
  });
});
