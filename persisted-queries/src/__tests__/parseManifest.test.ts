import { buildSchema } from 'graphql';
import { checkManifest } from '../manifest/checkManifest';
import { DEFAULT_CHECKS, type ManifestCheck } from '../manifest/checks';
import { parseManifest } from '../manifest/parseManifest';
import { ManifestError } from '../manifest/types';
import { sha256Hex } from '../sha256Hex';

const schema = buildSchema('type Query { me: User } type User { id: ID! name: String } type Mutation { rename(name: String!): User }');
const ME = 'query Me { me { id } }';

describe('parseManifest', () => {
  it("reads Apollo's persisted query list", () => {
    const manifest = parseManifest({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [{ id: sha256Hex(ME), name: 'Me', type: 'query', body: ME, clientName: 'ios' }],
    });
    expect(manifest).toEqual({ format: 'apollo', entries: [{ id: sha256Hex(ME), name: 'Me', type: 'query', body: ME, clientName: 'ios', hashed: true }] });
  });

  it('refuses an Apollo list of another version or shape, saying what was expected', () => {
    expect(() => parseManifest({ format: 'apollo-persisted-query-manifest', version: 2, operations: [] })).toThrow(/expected "version": 1; got 2/);
    expect(() => parseManifest({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'x' }] })).toThrow(ManifestError);
    expect(() => parseManifest({ format: 'other' })).toThrow(/apollo-persisted-query-manifest/);
    expect(() => parseManifest([])).toThrow(/got an array/);
  });

  it("reads Code Generator's persisted-documents.json, with or without the sha256: prefix", () => {
    expect(parseManifest({ [`sha256:${sha256Hex(ME)}`]: ME })).toEqual({ format: 'codegen', entries: [{ id: sha256Hex(ME), body: ME, hashed: true }] });
    expect(parseManifest({ [sha256Hex(ME)]: ME }).entries[0]!.id).toBe(sha256Hex(ME));
  });

  it("reads Relay's {id: text} with free-form ids", () => {
    expect(parseManifest({ '3f1a9c2e7b4d5a6c8e9f0a1b2c3d4e5f': ME })).toEqual({ format: 'relay', entries: [{ id: '3f1a9c2e7b4d5a6c8e9f0a1b2c3d4e5f', body: ME, hashed: false }] });
    expect(parseManifest({ [sha256Hex(ME)]: ME }, 'relay').entries[0]!.hashed).toBe(false);
  });
});

describe('checkManifest', () => {
  it('lists every bad entry: wrong hash (SHA-1 named), parse and validation errors, wrong type', () => {
    const entries = parseManifest({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [
        { id: sha256Hex(ME), name: 'Me', type: 'query', body: ME },
        { id: 'a'.repeat(40), name: 'Sha1', type: 'query', body: ME },
        { id: sha256Hex('{ me {'), name: 'Broken', type: 'query', body: '{ me {' },
        { id: sha256Hex('{ me { nope } }'), name: 'Invalid', type: 'query', body: '{ me { nope } }' },
        { id: sha256Hex('mutation R { rename(name: "x") { id } }'), name: 'R', type: 'query', body: 'mutation R { rename(name: "x") { id } }' },
      ],
    }).entries;
    const problems = checkManifest(entries, { schema }, DEFAULT_CHECKS);
    expect(problems.map((p) => [p.name, p.message.split(':')[0]])).toEqual([
      ['Sha1', 'id is not the SHA-256 of the text'],
      ['Broken', 'does not parse'],
      ['Invalid', 'does not validate'],
      ['R', 'type is "query" but the operation is a mutation'],
    ]);
    expect(problems[0]!.message).toContain('looks like SHA-1');
  });

  it('runs extra checks per entry and turns a throwing check into a problem', () => {
    const noMutations: ManifestCheck = (entry) => (entry.body.startsWith('mutation') ? ['mutations are not allowed here'] : []);
    const throws: ManifestCheck = () => {
      throw new Error('boom');
    };
    const entries = parseManifest({ [sha256Hex(ME)]: ME, [sha256Hex('mutation R { rename(name: "x") { id } }')]: 'mutation R { rename(name: "x") { id } }' }).entries;
    const problems = checkManifest(entries, { schema }, [...DEFAULT_CHECKS, noMutations, throws]);
    expect(problems.map((p) => p.message)).toEqual(['check failed: boom', 'mutations are not allowed here', 'check failed: boom']);
  });
});
