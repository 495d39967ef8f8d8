import { checkClientVersion } from '../checkClientVersion';

const settings = { minimum: { ios: '3.0.0' }, recommended: { ios: '3.2.0', android: '2.0.0' }, upgradeUrls: { ios: 'https://example.com/ios' } };

describe('checkClientVersion', () => {
  it.each([
    ['ios', '2.9.9', { kind: 'unsupported', clientVersion: '2.9.9', minimumVersion: '3.0.0', upgradeUrl: 'https://example.com/ios' }],
    ['ios', '3.0.0-beta.1', { kind: 'unsupported', clientVersion: '3.0.0-beta.1', minimumVersion: '3.0.0', upgradeUrl: 'https://example.com/ios' }],
    ['ios', '3.0.0', { kind: 'deprecated', clientVersion: '3.0.0', recommendedVersion: '3.2.0', upgradeUrl: 'https://example.com/ios' }],
    ['ios', '3.1 (45)', { kind: 'deprecated', clientVersion: '3.1 (45)', recommendedVersion: '3.2.0', upgradeUrl: 'https://example.com/ios' }],
    ['ios', '3.2.0', { kind: 'ok' }],
    ['ios', '10.0.0', { kind: 'ok' }],
    ['ios', 'banana', { kind: 'ok' }],
    ['android', '1.9.0', { kind: 'deprecated', clientVersion: '1.9.0', recommendedVersion: '2.0.0' }],
    ['web', '0.0.1', { kind: 'ok' }],
    ['toString', '0.0.1', { kind: 'ok' }],
  ])('%s %s', (name, version, expected) => {
    expect(checkClientVersion(settings, name, version)).toEqual(expected);
  });

  it('does not gate a request without name or version', () => {
    expect(checkClientVersion(settings, 'ios', undefined)).toEqual({ kind: 'ok' });
    expect(checkClientVersion(settings, undefined, '1.0.0')).toEqual({ kind: 'ok' });
  });
});
