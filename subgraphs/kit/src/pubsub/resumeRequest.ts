const requests = new WeakMap<object, { readonly lastEventId: string; used: boolean }>();

/**
 * Records on a per-operation context that its `subscribe` payload asked to resume after `lastEventId`
 * (`payload.extensions.lastEventId`); the subgraph server calls it.
 * @returns `context`.
 */
export function attachResumeRequest<T>(context: T, lastEventId: unknown): T {
  if (typeof context === 'object' && context !== null && lastEventId !== undefined && lastEventId !== null) requests.set(context, { lastEventId: String(lastEventId), used: false });
  return context;
}

/**
 * For `subscribe` resolvers: the event id to resume after, and marks the request as honoured.
 * @returns the client's `lastEventId`, or undefined for a live-only subscription.
 */
export function resumeRequestOf(context: unknown): string | undefined {
  const request = typeof context === 'object' && context !== null ? requests.get(context) : undefined;
  if (!request) return undefined;
  request.used = true;
  return request.lastEventId;
}

/** @returns true when the context carries a resume request no resolver read (the field cannot resume). */
export function resumeRequestIgnored(context: unknown): boolean {
  const request = typeof context === 'object' && context !== null ? requests.get(context) : undefined;
  return request !== undefined && !request.used;
}
