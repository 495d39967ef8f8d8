import type { IncomingMessage } from 'node:http';
import { connectionInfo, MAX_CLIENT_NAME_LENGTH } from '../connectionInfo';

const request = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;

describe('connectionInfo', () => {
  it('reads identity from the payload, then payload.headers, then the upgrade headers', () => {
    expect(connectionInfo({ 'apollographql-client-name': 'ios', authorization: 'Bearer a' }, request())).toMatchObject({ clientName: 'ios', authorization: 'Bearer a' });
    expect(connectionInfo({ headers: { 'apollographql-client-name': 'android', 'apollographql-client-version': '2.1', Authorization: 'Bearer b' } }, request())).toMatchObject({
      clientName: 'android',
      clientVersion: '2.1',
      authorization: 'Bearer b',
    });
    expect(connectionInfo({}, request({ 'apollographql-client-name': 'web', authorization: 'Bearer c' }))).toMatchObject({ clientName: 'web', authorization: 'Bearer c' });
    expect(connectionInfo({}, request())).toMatchObject({ clientName: 'anonymous', sentClientName: undefined, authorization: undefined });
    expect(connectionInfo({ clientName: 'anonymous' }, request())).toMatchObject({ clientName: 'anonymous', sentClientName: 'anonymous' });
    expect(connectionInfo({ clientName: 'ios' }, request())).toMatchObject({ clientName: 'ios', sentClientName: 'ios' });
  });

  it('refuses non-string values and over-long or empty client names', () => {
    expect(connectionInfo({ authorization: 42 }, request())).toBeUndefined();
    expect(connectionInfo({ headers: { 'apollographql-client-name': ['x'] } }, request())).toBeUndefined();
    expect(connectionInfo({ clientName: 'x'.repeat(MAX_CLIENT_NAME_LENGTH + 1) }, request())).toBeUndefined();
    expect(connectionInfo({ clientName: '' }, request())).toBeUndefined();
  });
});
