import { EventPayload } from '../EventPayload';

describe('EventPayload', () => {
  const json = '{"data":{"reviewAdded":{"body":"größer 🚀"}}}';
  const suffix = Buffer.from('}');

  it('encodes the JSON as UTF-8 once', () => {
    const payload = new EventPayload(json);
    expect(payload.bytes.toString('utf8')).toBe(json);
    expect(payload.bytes).toBe(payload.bytes);
  });

  it('wraps the payload in an envelope, sharing the Buffer between equal envelopes and building one per other envelope', () => {
    const payload = new EventPayload(json);
    const one = payload.wrapped(Buffer.from('{"id":"1","type":"next","payload":'), suffix);
    expect(JSON.parse(one.toString('utf8'))).toEqual({ id: '1', type: 'next', payload: JSON.parse(json) });
    // another subscriber with the same id (a different prefix Buffer with equal bytes) gets the same Buffer
    expect(payload.wrapped(Buffer.from('{"id":"1","type":"next","payload":'), suffix)).toBe(one);
    const other = payload.wrapped(Buffer.from('{"id":"a-much-longer-id","type":"next","payload":'), suffix);
    expect(JSON.parse(other.toString('utf8'))).toEqual({ id: 'a-much-longer-id', type: 'next', payload: JSON.parse(json) });
    // the first message was not overwritten by the second
    expect(JSON.parse(one.toString('utf8')).id).toBe('1');
    const same = payload.wrapped(Buffer.from('{"id":"2","type":"next","payload":'), suffix);
    expect(JSON.parse(same.toString('utf8')).id).toBe('2');
  });
});
