import { createServer } from 'node:net';

/**
 * Asks the OS for a free loopback TCP port (binds port 0, reads the port, closes). Never returns a
 * port in 4000–4004, which `npm start` uses.
 *
 * @returns a port number that was free a moment ago.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port < 4000 || port > 4004) return port;
  }
}
