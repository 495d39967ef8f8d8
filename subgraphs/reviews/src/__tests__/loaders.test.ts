import { InMemoryReviewRepository } from '../repository';
import { createLoaders } from '../loaders';

const rows = [
  { id: '1', body: 'a', authorId: 'u1', productUpc: 'p1' },
  { id: '2', body: 'b', authorId: 'u2', productUpc: 'p1' },
  { id: '3', body: 'c', authorId: 'u1', productUpc: 'p2' },
];

describe('reviews loaders', () => {
  it('batches loads made in one tick into one repository call and returns results in key order', async () => {
    const repository = new InMemoryReviewRepository(rows);
    const loaders = createLoaders(repository);
    const [byU2, byU1, byNobody] = await Promise.all([loaders.reviewsByAuthor.load('u2'), loaders.reviewsByAuthor.load('u1'), loaders.reviewsByAuthor.load('nobody')]);
    expect(repository.calls.get('findByAuthorIds')).toBe(1);
    expect(byU2.map((r) => r.id)).toEqual(['2']);
    expect(byU1.map((r) => r.id)).toEqual(['1', '3']);
    expect(byNobody).toEqual([]);
  });

  it('a missing review errors only its own item', async () => {
    const repository = new InMemoryReviewRepository(rows);
    const loaders = createLoaders(repository);
    const results = await Promise.allSettled([loaders.review.load('3'), loaders.review.load('404'), loaders.review.load('1')]);
    expect(repository.calls.get('findByIds')).toBe(1);
    expect(results[0]).toEqual({ status: 'fulfilled', value: rows[2] });
    expect(results[1].status).toBe('rejected');
    expect((results[1] as PromiseRejectedResult).reason.extensions.code).toBe('NOT_FOUND');
    expect(results[2]).toEqual({ status: 'fulfilled', value: rows[0] });
  });

  it("loaders are per request: a new set does not see another request's cache", async () => {
    const repository = new InMemoryReviewRepository(rows);
    const first = createLoaders(repository);
    await first.reviewsByProduct.load('p1');
    await repository.insert({ authorId: 'u3', productUpc: 'p1', body: 'new' });
    expect((await first.reviewsByProduct.load('p1')).length).toBe(2); // cached within the request
    expect((await createLoaders(repository).reviewsByProduct.load('p1')).map((r) => r.id)).toEqual(['1', '2', '4']);
  });
});
