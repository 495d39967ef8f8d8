import { ClientLabels } from '../clientLabels';

describe('ClientLabels bounds client label values', () => {
  it('keeps known names, maps others to "other" and absent ones to "none"', () => {
    const labels = new ClientLabels(['ios', 'android'], 5);
    expect(labels.of('ios', '3.0.0')).toEqual({ clientName: 'ios', clientVersion: '3.0.0' });
    expect(labels.of('web', '1.0.0')).toEqual({ clientName: 'other', clientVersion: 'other' });
    expect(labels.of(undefined, undefined)).toEqual({ clientName: 'none', clientVersion: 'none' });
    expect(labels.of('ios', undefined)).toEqual({ clientName: 'ios', clientVersion: 'none' });
  });

  it('keeps at most N versions per known client, and only version-like values', () => {
    const labels = new ClientLabels(['ios'], 2);
    expect(labels.of('ios', '1.0.0').clientVersion).toBe('1.0.0');
    expect(labels.of('ios', '1.0.1').clientVersion).toBe('1.0.1');
    expect(labels.of('ios', '1.0.2').clientVersion).toBe('other');
    // a version already kept stays itself
    expect(labels.of('ios', '1.0.0').clientVersion).toBe('1.0.0');
    expect(labels.of('ios', '1.0.0"}\n# evil').clientVersion).toBe('other');
    expect(labels.of('ios', 'x'.repeat(33)).clientVersion).toBe('other');
  });
});
