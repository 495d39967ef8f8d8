import { freePort } from '@roam/testkit';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

// Regression (issue 15): an unreachable Redis in apq mode logged a full stack trace about once a second.
// Now the Redis layer (@roam/redis) logs one line per connection state change.
describe('gateway in apq mode with an unreachable Redis', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;
  let redisPort: number;
  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    redisPort = await freePort(); // nothing listens there: every connect is refused
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), { PERSISTED_QUERIES: 'apq', REDIS_URL: `redis://127.0.0.1:${redisPort}`, LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('logs at most 3 Redis lines in ~3 s (one per state change), none with a stack trace', async () => {
    await new Promise((resolve) => setTimeout(resolve, 3000)); // about 15 refused reconnect attempts (100 ms growing to 1 s apart)
    const output = gateway.output();
    const redisLines = output.split('\n').filter((line) => /redis/i.test(line));
    expect(redisLines.length).toBeGreaterThanOrEqual(1); // the outage is reported…
    expect(redisLines.length).toBeLessThanOrEqual(3); // …once, not once per attempt
    expect(redisLines.some((line) => line.includes(`connection refused at 127.0.0.1:${redisPort}`))).toBe(true);
    expect(output).not.toMatch(/"stack"|\n\s+at \S/);
    expect(output).not.toContain('Unhandled error event');
  });
});
