// Signed subgraph calls (README "Security", issue 18 item 6): the one definition of the scheme, used by the
// gateway to sign (gateway/src/upstream/SubgraphClient.ts) and by the subgraph kit to verify
// (subgraphs/kit/src/createSubgraphServer.ts).
'use strict';
const { createHmac, timingSafeEqual } = require('node:crypto');

const SIGNATURE_HEADER = 'roam-signature';
const CLAIMS_HEADER = 'roam-claims';

function mac(secret, method, path, timestampMs, claims, body) {
  return createHmac('sha256', secret).update(`roam-v1\n${method.toUpperCase()}\n${path}\n${timestampMs}\n${claims}\n`).update(body).digest('base64url');
}

function signRequest(secret, method, path, body, claims = '', nowMs = Date.now()) {
  return `t=${nowMs},v1=${mac(secret, method, path, nowMs, claims, body)}`;
}

function verifyRequest(secret, header, method, path, body, claims = '', maxAgeMs = 60000, nowMs = Date.now()) {
  if (typeof header !== 'string' || header === '') return 'missing';
  const match = /^t=(\d{1,16}),v1=([A-Za-z0-9_-]{43})$/.exec(header);
  if (!match) return 'malformed';
  const timestampMs = Number(match[1]);
  if (Math.abs(nowMs - timestampMs) > maxAgeMs) return 'stale';
  const expected = Buffer.from(mac(secret, method, path, timestampMs, claims, body));
  const given = Buffer.from(match[2]);
  return expected.length === given.length && timingSafeEqual(expected, given) ? 'valid' : 'mismatch';
}

module.exports = { SIGNATURE_HEADER, CLAIMS_HEADER, signRequest, verifyRequest };
