import type { Readable, Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { roamError, type RoamError } from '../errors';

/**
 * Creates the decoder for one `Content-Encoding` (RFC 9110 §8.4.1), or `null` for identity.
 * @throws RoamError `UNSUPPORTED_MEDIA_TYPE` (415, RFC 9110 §15.5.16) for any other coding or a list of codings.
 */
function decoderFor(contentEncoding: string | undefined): Transform | null {
  const coding = (contentEncoding ?? 'identity').trim().toLowerCase();
  switch (coding) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress({ params: { [constants.BROTLI_DECODER_PARAM_LARGE_WINDOW]: 0 } });
    default:
      throw roamError('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Encoding ${JSON.stringify(contentEncoding)}; send gzip, br, deflate or identity.`, {
        contentEncoding,
      });
  }
}

/**
 * Reads a request body and undoes its `Content-Encoding`, never holding more than `maxBytes` of either the
 * sent or the decoded bytes: reading stops as soon as a limit is passed, so a decompression bomb costs at
 * most `maxBytes` of memory and the time to inflate that much.
 *
 * @param stream - the raw request stream.
 * @param contentEncoding - the `Content-Encoding` header (gzip, x-gzip, br, deflate, identity, or absent).
 * @param maxBytes - limit in bytes for the sent body and, separately, for the decoded body.
 * @param declaredBytes - the request's `Content-Length`, when sent: above `maxBytes` it fails at once, unread.
 * @returns the decoded bytes.
 * @throws RoamError `PAYLOAD_TOO_LARGE` (413) past a limit (`extensions.limitBytes`, and `decoded: true` when the
 *   decoded content passed it); `BAD_REQUEST` (400) when the compressed data is corrupt or truncated;
 *   `UNSUPPORTED_MEDIA_TYPE` (415) for an unknown coding.
 */
export function readRequestBody(stream: Readable, contentEncoding: string | undefined, maxBytes: number, declaredBytes?: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let decoder: Transform | null;
    try {
      if (declaredBytes !== undefined && declaredBytes > maxBytes) {
        throw roamError('PAYLOAD_TOO_LARGE', `The request body is ${declaredBytes} bytes; at most ${maxBytes} are accepted.`, { limitBytes: maxBytes, bytes: declaredBytes });
      }
      decoder = decoderFor(contentEncoding);
    } catch (error) {
      stream.resume(); // discard the upload so the connection can answer
      reject(error as Error);
      return;
    }
    const chunks: Buffer[] = [];
    let sentBytes = 0;
    let decodedBytes = 0;
    let settled = false;
    const fail = (error: RoamError): void => {
      if (settled) return;
      settled = true;
      stream.unpipe();
      decoder?.destroy();
      stream.resume(); // discard the rest of the upload so the connection can answer
      reject(error);
    };
    const tooLarge = (decoded: boolean): RoamError =>
      roamError(
        'PAYLOAD_TOO_LARGE',
        decoded ? `The decompressed request body is larger than ${maxBytes} bytes.` : `The request body is larger than ${maxBytes} bytes.`,
        decoded ? { limitBytes: maxBytes, decoded: true } : { limitBytes: maxBytes },
      );
    stream.on('data', (chunk: Buffer) => {
      sentBytes += chunk.length;
      if (sentBytes > maxBytes) fail(tooLarge(false));
    });
    stream.on('error', () => fail(roamError('BAD_REQUEST', 'The request body could not be read.')));
    const output: Readable = decoder ?? stream;
    if (decoder) {
      decoder.on('error', () => fail(roamError('BAD_REQUEST', `The request body is not valid ${String(contentEncoding).trim()} data.`)));
      stream.pipe(decoder);
    }
    output.on('data', (chunk: Buffer) => {
      if (settled) return;
      decodedBytes += chunk.length;
      if (decodedBytes > maxBytes) {
        fail(tooLarge(decoder !== null));
        return;
      }
      chunks.push(chunk);
    });
    output.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, decodedBytes));
    });
  });
}
