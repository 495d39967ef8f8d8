import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyPatch, type Operation } from 'fast-json-patch';
import { jsonDiff } from '../jsonDiff';

const BENCHMARK = JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/federation-benchmark/expected.json'), 'utf8')) as {
  data: { users: { id: string; name: string; reviews: { id: string; body: string; product: Record<string, unknown> }[] }[]; topProducts: { upc: string; name: string }[] };
};

/** One random edit of the benchmark response, as a mobile screen sees data change. */
type Edit =
  | { kind: 'field'; user: number; review: number; value: string | number | boolean | null }
  | { kind: 'rename'; user: number; value: string }
  | { kind: 'removeReview'; user: number; review: number }
  | { kind: 'addReview'; user: number; at: number; id: number }
  | { kind: 'moveReview'; user: number; from: number; to: number }
  | { kind: 'removeUser'; user: number }
  | { kind: 'reverseProducts' }
  | { kind: 'nullProduct'; user: number; review: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), user: fc.nat(), review: fc.nat(), value: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)) }),
  fc.record({ kind: fc.constant('rename' as const), user: fc.nat(), value: fc.string() }),
  fc.record({ kind: fc.constant('removeReview' as const), user: fc.nat(), review: fc.nat() }),
  fc.record({ kind: fc.constant('addReview' as const), user: fc.nat(), at: fc.nat(), id: fc.integer({ min: 1000, max: 1100 }) }),
  fc.record({ kind: fc.constant('moveReview' as const), user: fc.nat(), from: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('removeUser' as const), user: fc.nat() }),
  fc.record({ kind: fc.constant('reverseProducts' as const) }),
  fc.record({ kind: fc.constant('nullProduct' as const), user: fc.nat(), review: fc.nat() }),
);

function applyEdit(doc: typeof BENCHMARK, e: Edit): void {
  const users = doc.data.users;
  if (users.length === 0) return;
  const user = users[('user' in e ? e.user : 0) % users.length]!;
  const reviews = user.reviews;
  switch (e.kind) {
    case 'field':
      if (reviews.length > 0) {
        const review = reviews[e.review % reviews.length]!;
        if (review.product) review.product.price = e.value;
      }
      return;
    case 'rename':
      user.name = e.value;
      return;
    case 'removeReview':
      if (reviews.length > 0) reviews.splice(e.review % reviews.length, 1);
      return;
    case 'addReview':
      if (!reviews.some((r) => r.id === String(e.id))) reviews.splice(e.at % (reviews.length + 1), 0, { id: String(e.id), body: `new ${e.id}`, product: { upc: String(e.id), name: 'New' } });
      return;
    case 'moveReview':
      if (reviews.length > 0) reviews.splice(e.to % reviews.length, 0, ...reviews.splice(e.from % reviews.length, 1));
      return;
    case 'removeUser':
      users.splice(e.user % users.length, 1);
      return;
    case 'reverseProducts':
      doc.data.topProducts.reverse();
      return;
    case 'nullProduct':
      if (reviews.length > 0) (reviews[e.review % reviews.length] as { product: unknown }).product = null;
      return;
  }
}

describe('jsonDiff', () => {
  it('property: the patch applied (fast-json-patch) to the base equals the edited response, with the same JSON text', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 8 }), (edits) => {
        const next = structuredClone(BENCHMARK);
        for (const e of edits) applyEdit(next, e);
        const patch = jsonDiff(BENCHMARK, next);
        const applied = applyPatch(structuredClone(BENCHMARK), patch as Operation[], true).newDocument;
        expect(JSON.stringify(applied)).toBe(JSON.stringify(next));
        if (edits.length === 0) expect(patch).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a one-field change is one replace; a keyed list edit is a remove/move/add by key, not an index-by-index rewrite', () => {
    const next = structuredClone(BENCHMARK);
    next.data.topProducts[1]!.name = 'Changed';
    expect(jsonDiff(BENCHMARK, next)).toEqual([{ op: 'replace', path: '/data/topProducts/1/name', value: 'Changed' }]);

    const moved = structuredClone(BENCHMARK);
    moved.data.topProducts.unshift(moved.data.topProducts.pop()!);
    expect(jsonDiff(BENCHMARK, moved)).toEqual([{ op: 'move', from: `/data/topProducts/${BENCHMARK.data.topProducts.length - 1}`, path: '/data/topProducts/0' }]);

    const removed = structuredClone(BENCHMARK);
    removed.data.users.splice(0, 1);
    expect(jsonDiff(BENCHMARK, removed)).toEqual([{ op: 'remove', path: '/data/users/0' }]);
  });

  it('replaces an object whose keys change (key order is kept), escapes JSON Pointer tokens, patches unkeyed lists by position', () => {
    expect(jsonDiff({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } })).toEqual([{ op: 'replace', path: '/a', value: { y: 2, x: 1 } }]);
    expect(jsonDiff({ 'a/b~': 1 }, { 'a/b~': 2 })).toEqual([{ op: 'replace', path: '/a~1b~0', value: 2 }]);
    expect(jsonDiff({ l: [1, 2, 3] }, { l: [1, 5] })).toEqual([
      { op: 'replace', path: '/l/1', value: 5 },
      { op: 'remove', path: '/l/2' },
    ]);
  });
});
