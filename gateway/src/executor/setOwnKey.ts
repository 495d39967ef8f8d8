/**
 * `obj[key] = value`, as an own enumerable data property even when `key` is `__proto__`.
 *
 * A response key is any GraphQL Name (spec §2.1.9), so a client may alias a field `__proto__` and a subgraph may
 * send that key back (`JSON.parse` makes it an own property). Assigned with `obj[key] = value` to a plain object it
 * would set the object's prototype instead (the key lost, the value's fields inherited); read with `obj[key]` from
 * an object that lacks it, it yields `Object.prototype`, so merging into what was read would change every object of
 * the process. Every write of a key that comes from a document or a subgraph reply goes through here (or
 * {@link ownValue} for the read).
 *
 * @param obj - the object to write to.
 * @param key - the property name (a response key, a variable or an extension name).
 * @param value - the value to store.
 */
export function setOwnKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * `obj[key]` when `obj` has `key` as its own property, else undefined: for `__proto__` the inherited accessor is not
 * read (it would return the prototype). Other keys read as `obj[key]` (response objects inherit no enumerable
 * keys).
 *
 * @param obj - the object to read.
 * @param key - the property name.
 * @returns the own value, or undefined.
 */
export function ownValue(obj: Record<string, unknown>, key: string): unknown {
  if (key === '__proto__') return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  return obj[key];
}
