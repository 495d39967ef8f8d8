'use strict';
// What `npm run bench`'s varied scenario and `npm run bench:profile`'s PROFILE_SCENARIO=varied share: the persisted
// mobile screen query, the large dataset's user ids, and the seeded PRNG that draws them.

/** The MobileUserScreen query (a user and their first 10 reviews with product names). */
const MOBILE_QUERY = `query MobileUserScreen($id: ID!) {
  user(id: $id) {
    id
    name
    reviewsConnection(first: 10) {
      totalCount
      edges { node { id body product { upc name } } }
    }
  }
}`;

/** subgraphs/kit/src/largeDataset.ts LARGE_DATASET_SIZES.users: user ids 1..5000. */
const LARGE_USERS = 5000;

/**
 * mulberry32: a small seeded PRNG, so every gateway sees the same sequence of variables.
 * @param {number} seed
 * @returns {() => number} numbers in [0, 1)
 */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { MOBILE_QUERY, LARGE_USERS, seeded };
