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
    });
    expect(c.supergraphPath.endsWith('supergraph.graphql')).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads variables and treats empty strings as unset', () => {
    expect(readConfig({ PORT: '8080', HOST: '', SUBGRAPH_TIMEOUT_MS: '250' })).toMatchObject({ port: 8080, host: '127.0.0.1', subgraphTimeoutMs: 250 });
  });

  it('names every invalid variable at once, with what it got', () => {
    let error: unknown;
    try {
      readConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', MAX_BODY_BYTES: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT="eighty"/);
    expect(message).toMatch(/LOG_LEVEL="loud"/);
    expect(message).toMatch(/MAX_BODY_BYTES="-1"/);
  });
});
