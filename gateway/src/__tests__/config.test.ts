import { ConfigError, readConfig } from '../config';

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    const c = readConfig({});
    expect(c).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      supergraphPollIntervalMs: 500,
      subgraphTimeoutMs: 10000,
      maxBodyBytes: 1048576,
      logLevel: 'info',
      shutdownGraceMs: 10000,
      requestTimeoutMs: 30000,
      heapGrowthPercent: 100,
    });
    expect(c.supergraphPath.endsWith('supergraph.graphql')).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads variables and treats empty strings as unset', () => {
    expect(readConfig({ PORT: '8080', HOST: '', SUBGRAPH_TIMEOUT_MS: '250' })).toMatchObject({ port: 8080, host: '127.0.0.1', subgraphTimeoutMs: 250 });
    expect(readConfig({ HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
  });

  it('refuses a value of only whitespace (zod read it as 0: PORT " " was a random port), naming it with the other problems', () => {
    expect(() => readConfig({ PORT: ' ', HEAP_GROWTH_PERCENT: '\t', LOG_LEVEL: 'loud', DEV_CONSOLE_TOKEN: '  ' })).toThrow(
      /PORT=" ": only whitespace; give a value, or leave it empty for the default\n\s+HEAP_GROWTH_PERCENT="\\t": only whitespace.*\n\s+DEV_CONSOLE_TOKEN="<2 characters, not shown>": only whitespace.*\n\s+LOG_LEVEL="loud"/,
    );
  });

  it('HEAP_GROWTH_PERCENT out of range gets one message saying what it accepts (-5 got two)', () => {
    for (const value of ['-5', '1001', '9']) {
      let message = '';
      try {
        readConfig({ HEAP_GROWTH_PERCENT: value });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toBe(`Invalid Roam gateway configuration:\n  HEAP_GROWTH_PERCENT="${value}": expected 0 (V8 decides) or a whole number of percent from 10 to 1000`);
    }
    expect(readConfig({ HEAP_GROWTH_PERCENT: '1000' }).heapGrowthPercent).toBe(1000);
    expect(readConfig({ HEAP_GROWTH_PERCENT: '10' }).heapGrowthPercent).toBe(10);
  });

  it('refuses METRICS_PORT equal to PORT (a listen failure naming only PORT) and a propagated header that is not a header name', () => {
    expect(() => readConfig({ PORT: '4100', METRICS_PORT: '4100' })).toThrow(/METRICS_PORT="4100": the same port as PORT/);
    expect(() => readConfig({ METRICS_PORT: '4000' })).toThrow(/METRICS_PORT="4000": the same port as PORT/);
    expect(readConfig({ PORT: '0', METRICS_PORT: '0' }).observability.metricsPort).toBe(0);
    expect(() => readConfig({ SUBGRAPH_PROPAGATE_HEADERS: 'x-tenant,accept language' })).toThrow(/not a header name: "accept language"/);
    expect(readConfig({ SUBGRAPH_PROPAGATE_HEADERS: 'X-Tenant, accept-language' }).security.propagateHeaders).toEqual(['x-tenant', 'accept-language']);
  });

  it('names every invalid variable at once, with what it got', () => {
    let error: unknown;
    try {
      readConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', MAX_BODY_BYTES: '-1', HEAP_GROWTH_PERCENT: '5' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT="eighty"/);
    expect(message).toMatch(/LOG_LEVEL="loud"/);
    expect(message).toMatch(/MAX_BODY_BYTES="-1"/);
    expect(message).toMatch(/HEAP_GROWTH_PERCENT="5": expected 0 \(V8 decides\) or a whole number of percent from 10 to 1000/);
  });

  it('never echoes a secret: REDIS_URL credentials are redacted (a non-numeric port was an uncaught TypeError printing the URL), the console token is not shown', () => {
    const messageOf = (env: Record<string, string>) => {
      try {
        readConfig(env);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('readConfig accepted ' + JSON.stringify(env));
    };
    const badPort = messageOf({ REDIS_URL: 'redis://:hunter2@127.0.0.1:abc' });
    expect(badPort).toMatch(/REDIS_URL="redis:\/\/\*\*\*@127\.0\.0\.1:abc": .*not a valid URL/);
    const badScheme = messageOf({ REDIS_URL: 'ftp://:hunter2@127.0.0.1:6379' });
    expect(badScheme).toMatch(/REDIS_URL="ftp:\/\/\*\*\*@127\.0\.0\.1:6379"/);
    const token = messageOf({ DEV_CONSOLE_TOKEN: 'my secret with spaces' });
    expect(token).toMatch(/DEV_CONSOLE_TOKEN="<21 characters, not shown>": expected 16 to 256 characters/);
    const admin = messageOf({ RESPONSE_CACHE_ADMIN_TOKEN: 'my secret' });
    expect(admin).toMatch(/RESPONSE_CACHE_ADMIN_TOKEN="<9 characters, not shown>"/);
    for (const message of [badPort, badScheme, token, admin]) expect(message).not.toMatch(/hunter2|my secret/);
  });
});
