import { dataTagOf, etagOf, ifNoneMatchMatches, representationTag } from '../etag';

describe('etagOf / ifNoneMatchMatches (RFC 9110 §8.8.3, §13.1.2)', () => {
  const tag = etagOf('{"data":{"a":1}}');
  it('gives a quoted strong tag that depends only on the text', () => {
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(etagOf('{"data":{"a":1}}')).toBe(tag);
    expect(etagOf('{"data":{"a":2}}')).not.toBe(tag);
  });
  it('matches the tag in a list, weakly, and *', () => {
    expect(ifNoneMatchMatches(tag, tag)).toBe(true);
    expect(ifNoneMatchMatches(`"x", W/${tag}`, tag)).toBe(true);
    expect(ifNoneMatchMatches('*', tag)).toBe(true);
    expect(ifNoneMatchMatches('"x"', tag)).toBe(false);
    expect(ifNoneMatchMatches(undefined, tag)).toBe(false);
    expect(ifNoneMatchMatches(tag.slice(1, -1), tag)).toBe(false);
  });
  it('gives each representation its own strong tag (RFC 9110 §8.8.1, §8.8.3.3), and any of them revalidates the same data', () => {
    const packedBr = representationTag(tag, true, 'br');
    expect(representationTag(tag, false, 'identity')).toBe(tag);
    expect(packedBr).toBe(`${tag.slice(0, -1)}.mp.br"`);
    expect(new Set([tag, packedBr, representationTag(tag, true, 'identity'), representationTag(tag, false, 'gzip'), representationTag(tag, false, 'br')]).size).toBe(5);
    expect(dataTagOf(`W/${packedBr}`)).toBe(tag);
    expect(ifNoneMatchMatches(packedBr, tag)).toBe(true);
    expect(ifNoneMatchMatches(tag, representationTag(tag, false, 'gzip'))).toBe(true);
    expect(ifNoneMatchMatches(representationTag(etagOf('{}'), true, 'br'), packedBr)).toBe(false);
  });
});
