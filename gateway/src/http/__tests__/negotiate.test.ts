import { negotiateContentEncoding } from '../negotiateContentEncoding';
import { negotiateMediaType } from '../negotiateMediaType';

describe('negotiateMediaType (RFC 9110 §12.5.1)', () => {
  it.each([
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['*/*', 'application/json'],
    ['application/*', 'application/json'],
    ['application/json', 'application/json'],
    ['application/graphql-response+json, application/json;q=0.9', 'application/graphql-response+json'],
    ['application/json;q=0.5, application/graphql-response+json', 'application/graphql-response+json'],
    ['application/msgpack', 'application/msgpack'],
    ['application/x-msgpack', 'application/msgpack'],
    ['application/msgpack, application/json', 'application/msgpack'],
    ['APPLICATION/MSGPACK ; q=0.8, */*;q=0.1', 'application/msgpack'],
    ['text/html, */*;q=0.1', 'application/json'],
  ])('Accept %p → %p', (accept, expected) => {
    expect(negotiateMediaType(accept)).toBe(expected);
  });

  it.each(['text/html', 'image/png, text/*', 'application/json;q=0', 'application/json;q=0, */*'])('Accept %p → null (406)', (accept) => {
    expect(negotiateMediaType(accept)).toBeNull();
  });
});

describe('negotiateContentEncoding (RFC 9110 §12.5.3)', () => {
  it.each([
    [undefined, 'identity'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['gzip;q=1.0, br;q=0.1', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['deflate', 'identity'],
    ['identity', 'identity'],
  ])('Accept-Encoding %p → %p', (header, expected) => {
    expect(negotiateContentEncoding(header)).toBe(expected);
  });
});
