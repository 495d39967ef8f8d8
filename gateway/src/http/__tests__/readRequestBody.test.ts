import { Readable } from 'node:stream';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { RoamError } from '../../errors';
import { readRequestBody } from '../readRequestBody';

const chunked = (bytes: Buffer, size = 1000): Readable =>
  Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    })(),
  );

async function failure(promise: Promise<unknown>): Promise<RoamError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RoamError);
    return error as RoamError;
  }
  throw new Error('expected a RoamError');
}

describe('readRequestBody', () => {
  const text = Buffer.from(JSON.stringify({ query: '{ me { name } }', pad: 'x'.repeat(5000) }));

  it.each([
    ['gzip', gzipSync(text)],
    ['x-gzip', gzipSync(text)],
    ['br', brotliCompressSync(text)],
    ['deflate', deflateSync(text)],
    ['identity', text],
    [undefined, text],
  ])('decodes Content-Encoding %p', async (coding, bytes) => {
    expect((await readRequestBody(chunked(bytes), coding, 100_000)).equals(text)).toBe(true);
  });

  it('stops a decompression bomb at the limit: 413 with decoded: true', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    const error = await failure(readRequestBody(chunked(bomb), 'gzip', 1024 * 1024));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.status).toBe(413);
    expect(error.extensions).toMatchObject({ limitBytes: 1024 * 1024, decoded: true });
  });

  it('refuses a sent body over the limit: 413', async () => {
    const error = await failure(readRequestBody(chunked(Buffer.alloc(5000, 0x20)), undefined, 4096));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.extensions.decoded).toBeUndefined();
  });

  it('refuses corrupt and truncated data: 400 BAD_REQUEST', async () => {
    expect((await failure(readRequestBody(chunked(Buffer.from('not gzip at all')), 'gzip', 4096))).code).toBe('BAD_REQUEST');
    const whole = gzipSync(text);
    expect((await failure(readRequestBody(chunked(whole.subarray(0, whole.length - 8)), 'gzip', 100_000))).code).toBe('BAD_REQUEST');
    expect((await failure(readRequestBody(chunked(Buffer.from([1, 2, 3, 4, 5])), 'br', 4096))).code).toBe('BAD_REQUEST');
  });

  it('refuses an unknown or stacked coding: 415', async () => {
    for (const coding of ['compress', 'zstd', 'gzip, br']) {
      const error = await failure(readRequestBody(chunked(text), coding, 100_000));
      expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(error.status).toBe(415);
    }
  });
});

describe('readRequestBody with a declared Content-Length', () => {
  it('fails at once when the declared length is over the limit, with the measured value', async () => {
    const error = await failure(readRequestBody(chunked(Buffer.alloc(10)), 'gzip', 4096, 5000));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.extensions).toMatchObject({ limitBytes: 4096, bytes: 5000 });
  });
});
