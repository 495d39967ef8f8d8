import { readLimitsSettings, schemaFromSupergraph } from '@roam/operation-limits';
import { runManifestChecks } from '../manifest/checkManifest';
import { DEFAULT_CHECKS } from '../manifest/checks';
import { createOperationLimitsCheck } from '../manifest/createOperationLimitsCheck';
import type { ManifestEntry } from '../manifest/types';
import { sha256Hex } from '../sha256Hex';

// By the cost model (README "Operation limits"): a list of objects costs its size times each item's
// cost (an object 1, a scalar 0), so feed(first: 5) { id } = 5 and adding comments(first: 10) { id }
// gives 5 * (1 + 10) = 55.
const SDL = `
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query { feed(first: Int!): [Post!]! @listSize(slicingArguments: ["first"], assumedSize: 20) }
  type Post { id: ID! title: String comments(first: Int!): [Comment!]! @listSize(slicingArguments: ["first"]) }
  type Comment { id: ID! }
`;
const context = { schema: schemaFromSupergraph(SDL), supergraphSdl: SDL };
const SMALL = 'query Small { feed(first: 5) { id } }';
const BIG = 'query Big { feed(first: 5) { id comments(first: 10) { id } } }';

function entry(body: string, extra: Partial<ManifestEntry> = {}): ManifestEntry {
  return { id: sha256Hex(body), body, hashed: true, ...extra };
}

describe('createOperationLimitsCheck (roam-pq verify/push)', () => {
  it('lists the operation over MAX_COST with its measured cost and limit, and measures every entry', () => {
    const check = createOperationLimitsCheck({ settings: readLimitsSettings({ MAX_COST: '50' }) });
    const { problems, measurements } = runManifestChecks([entry(SMALL), entry(BIG)], context, [...DEFAULT_CHECKS, check]);
    expect(problems).toEqual([
      {
        id: sha256Hex(BIG),
        message: "operation Big: The operation's estimated cost is 55, over the limit of 50. [COST_ESTIMATED_TOO_EXPENSIVE]",
        code: 'COST_ESTIMATED_TOO_EXPENSIVE',
        measured: 55,
        limit: 50,
      },
    ]);
    expect(measurements.map((m) => [m.id, m.values.cost, m.values.maxCost, m.values.depth])).toEqual([
      [sha256Hex(SMALL), 5, 50, 2],
      [sha256Hex(BIG), 55, 50, 3],
    ]);
  });

  it('applies every limit variable, e.g. MAX_DEPTH and MAX_ALIASES, each problem with its own code', () => {
    const check = createOperationLimitsCheck({ settings: readLimitsSettings({ MAX_DEPTH: '2', MAX_ALIASES: '0' }) });
    const { problems } = runManifestChecks([entry('query A { a: feed(first: 1) { comments(first: 1) { id } } }')], context, [check]);
    expect(problems.map((p) => [p.code, p.measured, p.limit])).toEqual([
      ['MAX_DEPTH_LIMIT', 3, 2],
      ['MAX_ALIASES_LIMIT', 1, 0],
    ]);
  });

  it("uses the limits of --client-name (LIMITS_BY_CLIENT), else the entry's own client, else the defaults", () => {
    const settings = readLimitsSettings({ MAX_COST: '100', LIMITS_BY_CLIENT: '{"watch":{"maxCost":10}}' });
    const codes = (clientName: string | undefined, e: ManifestEntry) =>
      runManifestChecks([e], context, [createOperationLimitsCheck({ settings, ...(clientName ? { clientName } : {}) })]).problems.map((p) => [p.measured, p.limit]);
    expect(codes(undefined, entry(BIG))).toEqual([]);
    expect(codes('watch', entry(BIG))).toEqual([[55, 10]]);
    expect(codes(undefined, entry(BIG, { clientName: 'watch' }))).toEqual([[55, 10]]);
    expect(codes('ios', entry(BIG, { clientName: 'watch' }))).toEqual([]);
  });

  it('COST_DEFAULT_LIST_SIZE sizes lists without a slicing value or assumed size', () => {
    const sdl = 'type Query { posts: [Post!]! } type Post { id: ID! }';
    const ctx = { schema: schemaFromSupergraph(sdl), supergraphSdl: sdl };
    const check = createOperationLimitsCheck({ settings: readLimitsSettings({ COST_DEFAULT_LIST_SIZE: '7', MAX_COST: '6' }) });
    const { problems, measurements } = runManifestChecks([entry('{ posts { id } }')], ctx, [check]);
    expect(measurements[0]!.values.cost).toBe(7);
    expect(problems.map((p) => p.code)).toEqual(['COST_ESTIMATED_TOO_EXPENSIVE']);
  });

  it('in measure mode (LIMITS_MODE=measure) only measures; a document that does not validate is left to documentIsValid', () => {
    const measure = createOperationLimitsCheck({ settings: readLimitsSettings({ MAX_COST: '50', LIMITS_MODE: 'measure' }) });
    const measured = runManifestChecks([entry(BIG)], context, [measure]);
    expect(measured.problems).toEqual([]);
    expect(measured.measurements[0]!.values.cost).toBe(55);
    const enforce = createOperationLimitsCheck({ settings: readLimitsSettings({ MAX_COST: '1' }) });
    const invalid = runManifestChecks([entry('{ feed(first: 1) { nope } }')], context, [...DEFAULT_CHECKS, enforce]);
    expect(invalid.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^does not validate: Cannot query field "nope"/)]);
    expect(invalid.measurements).toEqual([]);
  });
});
