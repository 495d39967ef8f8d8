import { Packr, Unpackr } from 'msgpackr';

// Standard MessagePack only: no msgpackr records or structured-clone extensions, maps as plain objects,
// 64-bit integers as numbers, so any MessagePack library (Swift, Kotlin, Dart, JS) reads and writes it.
const packr = new Packr({ useRecords: false, moreTypes: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number', moreTypes: false });

/**
 * Encodes a JSON value (a GraphQL response or a batch of them) as standard MessagePack.
 * @returns the bytes; `null` becomes nil, objects maps, arrays arrays.
 */
export function packMsgpack(value: unknown): Buffer {
  return packr.pack(value);
}

/**
 * Decodes a MessagePack request body and checks it holds only JSON-compatible values (nil, booleans,
 * numbers, strings, arrays, maps with string keys), as a GraphQL request can.
 *
 * @param bytes - the (decompressed) body.
 * @returns the decoded value.
 * @throws Error with a message saying what is wrong (not MessagePack, nested too deeply, trailing bytes, a
 *   value JSON cannot hold).
 */
export function unpackMsgpack(bytes: Buffer): unknown {
  let values: unknown[];
  try {
    values = unpackr.unpackMultiple(bytes) as unknown[];
  } catch (error) {
    // msgpackr decodes recursively: a deeply nested body overflows the stack; say so without the JS message.
    if (error instanceof RangeError) throw new Error('The MessagePack body is nested too deeply.');
    throw new Error(`The request body is not valid MessagePack: ${(error as Error).message}`);
  }
  if (values.length !== 1) throw new Error(`Expected one MessagePack value in the request body; got ${values.length}.`);
  assertJsonCompatible(values[0], 'body', 0);
  return values[0];
}

function assertJsonCompatible(value: unknown, path: string, depth: number): void {
  if (depth > 256) throw new Error(`The MessagePack body is nested deeper than 256 levels at ${path}.`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} is ${value}, which JSON cannot hold.`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertJsonCompatible(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) assertJsonCompatible(item, `${path}.${key}`, depth + 1);
    return;
  }
  throw new Error(`${path} is a ${value === undefined ? 'undefined' : ((value as object).constructor?.name ?? typeof value)}, which a GraphQL request cannot hold.`);
}
