import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { MultipartWriter, negotiateMultipart } from '../multipart';

const compression = { minBytes: 0, brotliQuality: 4, gzipLevel: 6 };

async function collect(writer: MultipartWriter): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of writer.body!) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('negotiateMultipart', () => {
  it.each([
    ['multipart/mixed;deferSpec=20220824,application/json', { defer: true, incrementalV02: false, subscription: false }],
    ['multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json', { defer: false, incrementalV02: false, subscription: true }],
    ['multipart/mixed; boundary="graphql"; subscriptionSpec="1.0", application/json', { defer: false, incrementalV02: false, subscription: true }],
    ['multipart/mixed;deferSpec=20220824;subscriptionSpec=1.0', { defer: true, incrementalV02: false, subscription: true }],
    ['multipart/mixed;deferSpec=20220824;q=0, application/json', { defer: false, incrementalV02: false, subscription: false }],
    ['multipart/mixed;deferSpec=20230101', { defer: false, incrementalV02: false, subscription: false }],
    ['multipart/mixed;incrementalSpec=v0.2, application/json', { defer: false, incrementalV02: true, subscription: false }],
    ['multipart/mixed', { defer: false, incrementalV02: false, subscription: false }],
    ['application/json', { defer: false, incrementalV02: false, subscription: false }],
    [undefined, { defer: false, incrementalV02: false, subscription: false }],
  ])('%s', (accept, expected) => {
    expect(negotiateMultipart(accept)).toEqual(expected);
  });
});

describe('MultipartWriter', () => {
  it('frames parts as Apollo Router does and closes with the final delimiter', async () => {
    const writer = new MultipartWriter('identity', compression);
    const body = collect(writer);
    writer.part('{}');
    writer.part('{"payload":{"data":{"a":1}}}');
    writer.end();
    expect((await body).toString()).toBe(
      '\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql' + '\r\ncontent-type: application/json\r\n\r\n{"payload":{"data":{"a":1}}}\r\n--graphql' + '--\r\n',
    );
    expect(writer.closed).toBe(true);
  });

  it('ends with the last part, and ignores parts after the end', async () => {
    const writer = new MultipartWriter('identity', compression);
    const body = collect(writer);
    writer.part('{"data":{},"hasNext":false}', true);
    writer.part('{"late":true}');
    writer.end();
    expect((await body).toString()).toBe('\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{"data":{},"hasNext":false}\r\n--graphql--\r\n');
  });

  it('writes only the closing delimiter when there was no part', async () => {
    const writer = new MultipartWriter('identity', compression);
    const body = collect(writer);
    writer.end();
    expect((await body).toString()).toBe('\r\n--graphql--\r\n');
  });

  it.each(['gzip', 'br'] as const)('flushes %s after every part: each part decodes from the bytes sent so far', async (encoding) => {
    const writer = new MultipartWriter(encoding, compression);
    const received: Buffer[] = [];
    writer.body!.on('data', (chunk: Buffer) => received.push(chunk));
    const decode = (bytes: Buffer): string => {
      // a flushed but unfinished stream: decode what is there without expecting the end
      const options = encoding === 'gzip' ? { finishFlush: 2 } : { finishFlush: 1 };
      return (encoding === 'gzip' ? gunzipSync(bytes, options) : brotliDecompressSync(bytes, options)).toString();
    };
    writer.part('{"data":{"first":true},"hasNext":true}');
    // compression runs on the thread pool: wait for the flushed bytes (the stream is not ended)
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(writer.closed).toBe(false);
    expect(decode(Buffer.concat(received))).toContain('{"data":{"first":true},"hasNext":true}');
    writer.part('{"incremental":[],"hasNext":false}', true);
    await new Promise((resolve) => writer.body!.once('end', resolve));
    expect(decode(Buffer.concat(received))).toMatch(/\{"incremental":\[\],"hasNext":false\}\r\n--graphql--\r\n$/);
  });
});
