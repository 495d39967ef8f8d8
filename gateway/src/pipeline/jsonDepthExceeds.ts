/**
 * Deepest nesting of objects and arrays Roam accepts in a request's `variables` and `extensions`
 * (the object itself is level 1). Deeper values are refused with 400 `BAD_REQUEST` before anything
 * recursive (variable coercion, hashing, serialisation) sees them; GraphQL input types in the
 * supergraph nest far less.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether a decoded JSON (or MessagePack) value nests objects/arrays deeper than `maxDepth`.
 * Walks the value with an explicit stack, never recursion, so any depth is safe to check; stops
 * at the first value past the limit.
 *
 * @param value - the decoded value; scalars have depth 0, `{}` and `[]` depth 1.
 * @param maxDepth - the deepest nesting allowed (levels).
 * @returns `true` when some path is deeper than `maxDepth`.
 */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) return true;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
