/**
 * Shipping estimate of a product, in cents: free (0) when `price` is above 1000, otherwise half of
 * `weight` rounded (the rule of the federation gateways benchmark).
 *
 * @param price - price in cents, or null when unknown.
 * @param weight - weight in grams, or null when unknown.
 * @returns the estimate, or null when either input is unknown.
 */
export function shippingEstimate(price: number | null | undefined, weight: number | null | undefined): number | null {
  if (price == null || weight == null) return null;
  if (price > 1000) return 0;
  return Math.round(weight / 2);
}
