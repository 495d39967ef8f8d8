import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../jsonDepthExceeds';

function nested(levels: number, wrap: (inner: unknown) => unknown = (inner) => ({ a: inner })): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = wrap(value);
  return value;
}

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays as levels; scalars are depth 0', () => {
    expect(jsonDepthExceeds(1, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 1)).toBe(false);
    expect(jsonDepthExceeds({ a: [] }, 1)).toBe(true);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds({ wide: nested(3), deep: nested(MAX_JSON_DEPTH, (x) => [x]) }, MAX_JSON_DEPTH)).toBe(true);
  });

  it('checks 100,000 levels without overflowing the stack', () => {
    expect(jsonDepthExceeds(nested(100_000), MAX_JSON_DEPTH)).toBe(true);
  });
});
