import type { ExecutionResult } from 'graphql';
import type { PushRegistration } from './PushRegistration';

/**
 * The `roam` object of a push (APNs: beside `aps`; FCM: the JSON string in `data.roam`):
 *
 * - `v`: 1 (this shape);
 * - `registrationId`: which registration it is for;
 * - `documentId`, `operationName`: the persisted subscription that produced it;
 * - `eventId`: the event's id when events carry one (resume the subscription from it);
 * - `data`: the event's `data` when its JSON is at most `inlineMaxBytes` bytes, else absent and `refetch: true`
 *   (fetch what the subscription watches, or resubscribe from `eventId`).
 */
export interface PushData {
  readonly v: 1;
  readonly registrationId: string;
  readonly documentId: string;
  readonly operationName?: string;
  readonly eventId?: string;
  readonly data?: unknown;
  readonly refetch?: true;
}

/**
 * @param registration - the device's registration.
 * @param result - the event as the subscription delivered it.
 * @param eventId - its id, if any.
 * @param inlineMaxBytes - largest event `data` JSON carried inline, in bytes (APNs allows 4096 bytes per background push in all).
 * @returns the `roam` object.
 */
export function pushData(registration: PushRegistration, result: ExecutionResult, eventId: string | undefined, inlineMaxBytes: number): PushData {
  const base: PushData = {
    v: 1,
    registrationId: registration.id,
    documentId: registration.documentId,
    ...(registration.operationName ? { operationName: registration.operationName } : {}),
    ...(eventId !== undefined ? { eventId } : {}),
  };
  const json = result.data === undefined || result.errors?.length ? undefined : JSON.stringify(result.data);
  if (json !== undefined && Buffer.byteLength(json) <= inlineMaxBytes) return { ...base, data: result.data };
  return { ...base, refetch: true };
}
