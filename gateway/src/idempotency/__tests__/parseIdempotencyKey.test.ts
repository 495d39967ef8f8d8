import { canonicalJson, requestFingerprint } from '../requestFingerprint';
import { MAX_IDEMPOTENCY_KEY_LENGTH, parseIdempotencyKey } from '../parseIdempotencyKey';

describe('parseIdempotencyKey (IETF idempotency-key draft §2: a Structured Field string; bare values accepted)', () => {
  it.each([
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"with space and \\"quote\\" and \\\\"', 'with space and "quote" and \\'],
    ['  padded  ', 'padded'],
    ['x'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH), 'x'.repeat(256)],
  ])('%j → %j', (value, key) => {
    expect(parseIdempotencyKey(value)).toEqual({ key });
  });

  it.each([
    ['', 'empty'],
    ['""', 'empty'],
    ['x'.repeat(257), '257 characters'],
    [`"${'x'.repeat(257)}"`, '257 characters'],
    ['two words', 'printable ASCII'],
    ['caf\u00e9', 'printable ASCII'],
    ['"unterminated', 'Structured Field'],
    ['"a"b"', 'Structured Field'],
    ['"bad \\n escape"', 'Structured Field'],
    ['"tab\there"', 'Structured Field'],
  ])('%j is refused (%s)', (value, why) => {
    const parsed = parseIdempotencyKey(value);
    expect('error' in parsed && parsed.error).toContain(why);
  });

  it('a non-string extension value is refused with what came', () => {
    expect(parseIdempotencyKey(42)).toEqual({ error: 'Expected the idempotency key to be a string; got number.' });
    expect(parseIdempotencyKey(null)).toEqual({ error: 'Expected the idempotency key to be a string; got null.' });
    expect(parseIdempotencyKey(['k'])).toEqual({ error: 'Expected the idempotency key to be a string; got an array.' });
  });
});

describe('requestFingerprint', () => {
  it('ignores variable key order at every level; differs on any value, the operation name or the document', () => {
    const a = requestFingerprint('h', 'Add', { input: { body: 'x', upc: '1' }, n: [1, { b: 2, a: 1 }] });
    expect(requestFingerprint('h', 'Add', { n: [1, { a: 1, b: 2 }], input: { upc: '1', body: 'x' } })).toBe(a);
    expect(requestFingerprint('h', 'Add', { input: { body: 'y', upc: '1' }, n: [1, { b: 2, a: 1 }] })).not.toBe(a);
    expect(requestFingerprint('h', 'Other', { input: { body: 'x', upc: '1' }, n: [1, { b: 2, a: 1 }] })).not.toBe(a);
    expect(requestFingerprint('g', 'Add', { input: { body: 'x', upc: '1' }, n: [1, { b: 2, a: 1 }] })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('canonicalJson sorts keys and keeps arrays in order', () => {
    expect(canonicalJson({ b: [3, 1], a: { d: null, c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":null},"b":[3,1]}');
  });
});
