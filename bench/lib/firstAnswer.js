'use strict';
// Waits for a gateway process the bench just started: POSTs the bench's own request until it answers 200.
const { request } = require('undici');

/**
 * @param {string} url - the gateway's /graphql URL.
 * @param {string} body - the JSON request body the bench will send.
 * @param {number} [attempts] - tries, 200 ms apart (default 300: one minute).
 * @returns {Promise<void>} once it answered 200 (or after the last attempt; the load run then reports errors).
 */
async function firstAnswer(url, body, attempts = 300) {
  for (let i = 0; i < attempts; i++) {
    try {
      const r = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await r.body.text();
      if (r.statusCode === 200) return;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

module.exports = { firstAnswer };
