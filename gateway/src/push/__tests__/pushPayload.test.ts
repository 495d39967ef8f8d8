import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readConfig } from '../../config';
import { eventIdOf } from '../PushBridge';
import { pushData } from '../pushPayload';
import { parseRegistrationRequest, registrationIdOf, subscriptionSpecOf, type PushRegistration } from '../PushRegistration';
import { parseRetryAfter } from '../senders/SendResult';

const registration: PushRegistration = {
  id: 'f'.repeat(32),
  platform: 'apns',
  token: 'a'.repeat(64),
  documentId: 'sha256:abc',
  operationName: 'ReviewAdded',
  variables: { upc: '1' },
  clientName: 'ios',
  subscriptionKey: 'k'.repeat(32),
  state: 'background',
  lastEventId: undefined,
  createdAt: 1,
};

describe('push payload, ids and parsing', () => {
  it('carries the event id (from extensions.eventId) and small data inline; large data becomes refetch', () => {
    const result = { data: { reviewAdded: { id: '9' } }, extensions: { eventId: '1717-0' } };
    expect(eventIdOf(result)).toBe('1717-0');
    expect(eventIdOf({ data: {}, extensions: { event: { id: 42 } } })).toBe('42');
    expect(eventIdOf({ data: {} })).toBeUndefined();
    expect(pushData(registration, result, '1717-0', 2048)).toEqual({
      v: 1,
      registrationId: registration.id,
      documentId: 'sha256:abc',
      operationName: 'ReviewAdded',
      eventId: '1717-0',
      data: result.data,
    });
    expect(pushData(registration, result, undefined, 5)).toEqual({ v: 1, registrationId: registration.id, documentId: 'sha256:abc', operationName: 'ReviewAdded', refetch: true });
  });

  it('keys: equal variables in any key order share one subscription; ids differ per token and per subscription', () => {
    const a = subscriptionSpecOf({ documentId: 'd', operationName: undefined, variables: { a: 1, b: { c: 2, d: 3 } }, clientName: 'ios' });
    const b = subscriptionSpecOf({ documentId: 'd', operationName: undefined, variables: { b: { d: 3, c: 2 }, a: 1 }, clientName: 'ios' });
    const other = subscriptionSpecOf({ documentId: 'd', operationName: undefined, variables: { a: 2, b: { c: 2, d: 3 } }, clientName: 'ios' });
    expect(a.key).toBe(b.key);
    expect(subscriptionSpecOf({ documentId: 'sha256:d', operationName: undefined, variables: { a: 1, b: { c: 2, d: 3 } }, clientName: 'ios' }).key).toBe(a.key);
    expect(a.key).not.toBe(other.key);
    expect(registrationIdOf('apns', 'a'.repeat(64), a.key)).not.toBe(registrationIdOf('apns', 'b'.repeat(64), a.key));
    expect(registrationIdOf('apns', 'a'.repeat(64), a.key)).not.toBe(registrationIdOf('apns', 'a'.repeat(64), other.key));
  });

  it('token shapes per platform', () => {
    const base = { documentId: 'sha256:abc' };
    expect(parseRegistrationRequest({ ...base, platform: 'apns', token: 'ab'.repeat(32) })).toMatchObject({ platform: 'apns', variables: {}, state: 'foreground' });
    expect(parseRegistrationRequest({ ...base, platform: 'apns', token: 'abc'.repeat(21) })).toMatchObject({ extensions: { code: 'PUSH_TOKEN_INVALID', platform: 'apns' } });
    expect(parseRegistrationRequest({ ...base, platform: 'fcm', token: 'ab'.repeat(32) })).toMatchObject({ platform: 'fcm' });
    expect(parseRegistrationRequest({ ...base, platform: 'fcm', token: 'has space'.repeat(8) })).toMatchObject({ extensions: { code: 'PUSH_TOKEN_INVALID' } });
    expect(parseRegistrationRequest(null)).toMatchObject({ extensions: { code: 'PUSH_REGISTRATION_INVALID' } });
  });

  it('Retry-After: seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('config: PUSH_APNS_* all or none; the FCM service account must be one', () => {
    expect(readConfig({}).push).toMatchObject({ enabled: false, apns: undefined, fcm: undefined, ratePerDevice: 30 });
    expect(() => readConfig({ PUSH_APNS_KEY_ID: 'K' })).toThrow(/PUSH_APNS_KEY, PUSH_APNS_TEAM_ID, PUSH_APNS_TOPIC must be set too/);
    expect(() => readConfig({ PUSH_FCM_SERVICE_ACCOUNT: '{"project_id":"p"}' })).toThrow(/PUSH_FCM_SERVICE_ACCOUNT: client_email/);
    expect(() => readConfig({ PUSH_FCM_SERVICE_ACCOUNT: 'nope' })).toThrow(/service account JSON key/);
  });

  it('config: a key that cannot sign stops the start, naming the variable and never echoing the key (was accepted, then every push failed)', () => {
    const pkcs8 = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ec = pkcs8(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    const rsa = pkcs8(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const apns = (key: string) => ({ PUSH_APNS_KEY: key, PUSH_APNS_KEY_ID: 'K', PUSH_APNS_TEAM_ID: 'T', PUSH_APNS_TOPIC: 'app' });
    const fcm = (key: string) => ({ PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify({ project_id: 'p', client_email: 'e@p', private_key: key }) });
    expect(readConfig(apns(ec.replace(/\n/g, '\\n'))).push.apns?.keyPem).toBe(ec); // `\n` escapes as in an env file
    expect(readConfig(fcm(rsa)).push.fcm?.account.privateKeyPem).toBe(rsa);
    expect(() => readConfig(apns('-----BEGIN PRIVATE KEY-----\nsecretbytes\n-----END PRIVATE KEY-----'))).toThrow(/PUSH_APNS_KEY: not a PEM private key/);
    expect(() => readConfig(apns('-----BEGIN PRIVATE KEY-----\nsecretbytes\n-----END PRIVATE KEY-----'))).not.toThrow(/secretbytes/);
    expect(() => readConfig(apns(rsa))).toThrow(/PUSH_APNS_KEY: expected an EC P-256 key .*got rsa/);
    expect(() => readConfig(fcm(ec))).toThrow(/PUSH_FCM_SERVICE_ACCOUNT: private_key: expected an RSA key .*got ec/);
  });
});
