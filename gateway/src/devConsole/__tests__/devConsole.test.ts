import { ConsoleStats } from '../ConsoleStats';
import { devConsoleSettingsFromEnv } from '../devConsoleEnv';
import { readConfig } from '../../config';

describe('developer console settings', () => {
  it('is on with a generated token outside production, off by default with NODE_ENV=production', () => {
    expect(devConsoleSettingsFromEnv({}, () => 'generated-token-0000')).toEqual({ enabled: true, token: 'generated-token-0000', generatedToken: true });
    expect(devConsoleSettingsFromEnv({ NODE_ENV: 'production' })).toEqual({ enabled: false, token: '', generatedToken: false });
    expect(devConsoleSettingsFromEnv({ NODE_ENV: 'production', DEV_CONSOLE: 'on', DEV_CONSOLE_TOKEN: 'x'.repeat(16) })).toEqual({ enabled: true, token: 'x'.repeat(16), generatedToken: false });
    expect(devConsoleSettingsFromEnv({ DEV_CONSOLE: 'off' }).enabled).toBe(false);
  });

  it('generates a different 32-hex-character token per start', () => {
    const a = devConsoleSettingsFromEnv({}).token;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(devConsoleSettingsFromEnv({}).token).not.toBe(a);
  });

  it('is read and validated by readConfig: a short token names the variable', () => {
    expect(readConfig({ NODE_ENV: 'production' }).devConsole.enabled).toBe(false);
    expect(() => readConfig({ DEV_CONSOLE_TOKEN: 'short' })).toThrow(/DEV_CONSOLE_TOKEN/);
    expect(() => readConfig({ DEV_CONSOLE: 'yes' })).toThrow(/DEV_CONSOLE/);
  });
});

describe('ConsoleStats', () => {
  const facts = (name: string, id: string) => ({ operationNames: [name], documentIds: [id] });

  it('counts requests, errors and bytes per client version and per operation', () => {
    const stats = new ConsoleStats(undefined, () => 1000);
    stats.request({ clientName: 'ios', clientVersion: '3.2.1', code: undefined, bytesIn: 100, bytesOut: 400, facts: facts('Top', 'a') });
    stats.request({ clientName: 'ios', clientVersion: '3.2.1', code: 'MAX_DEPTH_LIMIT', bytesIn: 50, bytesOut: 120, facts: facts('Top', 'a') });
    stats.request({ clientName: undefined, clientVersion: undefined, code: undefined, bytesIn: 0, bytesOut: 10, facts: undefined });
    expect(stats.clientVersionTraffic()).toEqual([
      { clientName: '(none)', clientVersion: '(none)', requests: 1, errors: 0, bytesIn: 0, bytesOut: 10, lastSeenMs: 1000 },
      { clientName: 'ios', clientVersion: '3.2.1', requests: 2, errors: 1, bytesIn: 150, bytesOut: 520, lastSeenMs: 1000 },
    ]);
    expect(stats.operationTraffic()[0]).toEqual({ clientName: 'ios', clientVersion: '3.2.1', operationName: 'Top', documentId: 'a', requests: 2, errors: 1, lastSeenMs: 1000 });
  });

  it('stays bounded whatever clients send: entries, refusals and value lengths', () => {
    const stats = new ConsoleStats({ maxOperations: 3, maxClientVersions: 2, maxRefusals: 2 });
    for (let i = 0; i < 10; i++) {
      stats.request({ clientName: `c${i}`.padEnd(500, 'x'), clientVersion: String(i), code: undefined, bytesIn: 0, bytesOut: 0, facts: facts(`Op${i}`, String(i)) });
      stats.refusal('MAX_DEPTH_LIMIT', 'c', '1', `Op${i}`);
    }
    expect(stats.clientVersionTraffic()).toHaveLength(2);
    expect(stats.operationTraffic()).toHaveLength(3);
    expect(stats.clientVersionTraffic().every((v) => v.clientName.length === 64)).toBe(true);
    expect(stats.latestRefusals().map((r) => r.operationName)).toEqual(['Op9', 'Op8']);
  });
});
