import { readPersistedQueryRequest, withQueryText } from '../readPersistedQueryRequest';

const HASH = 'a'.repeat(64);

describe('readPersistedQueryRequest', () => {
  it('reads extensions.persistedQuery (version 1) and documentId with or without sha256:', () => {
    expect(readPersistedQueryRequest({ extensions: { persistedQuery: { version: 1, sha256Hash: HASH } } })).toEqual({ kind: 'id', id: HASH, via: 'extensions.persistedQuery' });
    expect(readPersistedQueryRequest({ documentId: `sha256:${HASH}` })).toEqual({ kind: 'id', id: HASH, via: 'documentId' });
    expect(readPersistedQueryRequest({ documentId: 'relay-id-1' })).toEqual({ kind: 'id', id: 'relay-id-1', via: 'documentId' });
    expect(readPersistedQueryRequest({ query: '{ me { id } }' })).toEqual({ kind: 'text' });
  });
  it('refuses other versions, missing hashes and disagreeing ids', () => {
    expect(readPersistedQueryRequest({ extensions: { persistedQuery: { version: 2, sha256Hash: HASH } } })).toMatchObject({ kind: 'invalid', message: expect.stringContaining('expected 1; got 2') });
    expect(readPersistedQueryRequest({ extensions: { persistedQuery: { version: 1 } } })).toMatchObject({ kind: 'invalid' });
    expect(readPersistedQueryRequest({ extensions: { persistedQuery: 'x' } })).toMatchObject({ kind: 'invalid' });
    expect(readPersistedQueryRequest({ documentId: 'sha256:' })).toMatchObject({ kind: 'invalid' });
    expect(readPersistedQueryRequest({ documentId: `sha256:${'b'.repeat(64)}`, extensions: { persistedQuery: { version: 1, sha256Hash: HASH } } })).toMatchObject({ kind: 'invalid' });
  });
  it('hands on the entry with the text and without the persisted-query fields', () => {
    expect(withQueryText({ documentId: HASH, operationName: 'A', extensions: { persistedQuery: {}, trace: true } }, '{ a }')).toEqual({
      operationName: 'A',
      extensions: { trace: true },
      query: '{ a }',
    });
    expect(withQueryText({ extensions: { persistedQuery: {} } }, '{ a }')).toEqual({ query: '{ a }' });
  });
});
