import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/**
 * How the gateway tells a caller's IP address (README "Security" → "Rate limits"), for the anonymous per-IP budget.
 *
 * Without trusted proxies it is the TCP peer (`socket.remoteAddress`), and `X-Forwarded-For` is ignored, so a
 * caller cannot pick its own address. With `trusted` (`RATE_LIMIT_TRUSTED_PROXIES`: addresses, CIDR ranges, or
 * `loopback` / `linklocal` / `uniquelocal`, the `proxy-addr` syntax Express and Fastify use) the address is read
 * from `X-Forwarded-For` right to left, skipping the hops that are trusted proxies: the first untrusted one is the
 * client (a value the caller prepended itself is never reached while a trusted proxy appended the real one).
 *
 * @param trusted - trusted proxy addresses/ranges; empty: trust none.
 * @returns a function from an HTTP request (or WebSocket upgrade request) to its client address, undefined when the
 *   socket is already gone. It never throws.
 * @throws Error (at creation) when an entry of `trusted` is not an address, a range or a known name.
 */
export function clientAddressResolver(trusted: readonly string[]): (request: IncomingMessage) => string | undefined {
  if (trusted.length === 0) return (request) => request.socket?.remoteAddress;
  const trust = proxyAddr.compile([...trusted]);
  return (request) => {
    if (request.socket?.remoteAddress === undefined) return undefined;
    try {
      return proxyAddr(request, trust);
    } catch {
      return request.socket.remoteAddress;
    }
  };
}
