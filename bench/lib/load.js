'use strict';
// One autocannon run: POST a JSON body, count non-2xx, transport errors and 200s whose body carries
// GraphQL errors (autocannon's verifyBody "mismatches").
const autocannon = require('autocannon');

/**
 * @param {{url: string, body: string, connections: number, durationS: number, headers?: Record<string,string>,
 *   setupRequest?: (req: {method: string, path: string, headers: Record<string,string>, body: string}) => object}} o
 *   `setupRequest` (autocannon's) changes each request before it is sent: per-request tokens or variables.
 * @returns {Promise<{requests: number, rps: number, p50: number, p99: number, errors: number, non2xx: number, mismatches: number}>}
 *   rps = completed requests / duration; latencies in ms.
 */
function load(o) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
        body: o.body,
        connections: o.connections,
        duration: o.durationS,
        pipelining: 1,
        timeout: 30,
        verifyBody: (body) => !body.includes('"errors"'),
        ...(o.setupRequest ? { requests: [{ setupRequest: o.setupRequest }] } : {}),
      },
      (error, r) => {
        if (error) return reject(error);
        const requests = r.requests.total;
        resolve({
          requests,
          rps: requests / o.durationS,
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors: r.errors + r.timeouts,
          non2xx: r.non2xx,
          mismatches: r.mismatches ?? 0,
        });
      },
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false, outputStream: { write() {} } });
  });
}

module.exports = { load };
