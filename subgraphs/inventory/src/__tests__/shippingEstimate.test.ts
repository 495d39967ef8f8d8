import { shippingEstimate } from '../shippingEstimate';

describe('shippingEstimate (benchmark rule)', () => {
  it('is free above a price of 1000', () => {
    expect(shippingEstimate(1001, 5000)).toBe(0);
    expect(shippingEstimate(100000, 6000)).toBe(0);
  });
  it('is half the weight, rounded, at or below 1000', () => {
    expect(shippingEstimate(1000, 100)).toBe(50);
    expect(shippingEstimate(15, 21)).toBe(11);
    expect(shippingEstimate(899, 100)).toBe(50);
  });
  it('is null when an input is unknown', () => {
    expect(shippingEstimate(null, 100)).toBeNull();
    expect(shippingEstimate(10, undefined)).toBeNull();
  });
});
