/**
 * A hybrid logical clock timestamp (Kulkarni et al., "Logical Physical Clocks", 2014): wall-clock
 * milliseconds, a counter that orders events within one millisecond, and the replica id that breaks
 * remaining ties. Encoded as a fixed-width string so that string order is timestamp order:
 * `<15-digit ms>-<5-digit counter>-<replica>` (the layout Actual Budget's CRDT uses, with decimal fields).
 */
export interface Hlc {
  /** Wall-clock milliseconds since the Unix epoch. */
  readonly wallMs: number;
  /** Logical counter, 0–99999. */
  readonly counter: number;
  /** Replica (client) id; never contains `-`-free constraints, any non-empty string. */
  readonly replica: string;
}

/** Largest counter value an encoded HLC can carry. */
export const MAX_HLC_COUNTER = 99999;

/** Thrown by {@link receiveHlc} and {@link parseHlc}; `code` is stable. */
export class HlcError extends Error {
  constructor(
    message: string,
    /** `CLOCK_DRIFT` (the remote clock is too far ahead) or `INVALID_CHANGE` (not an HLC). */
    readonly code: 'CLOCK_DRIFT' | 'INVALID_CHANGE',
  ) {
    super(message);
    this.name = 'HlcError';
  }
}

/** @returns the sortable string form of `hlc`. */
export function encodeHlc(hlc: Hlc): string {
  return `${String(hlc.wallMs).padStart(15, '0')}-${String(hlc.counter).padStart(5, '0')}-${hlc.replica}`;
}

const HLC_PATTERN = /^(\d{15})-(\d{5})-(.+)$/s;

/**
 * Parses the output of {@link encodeHlc}.
 * @throws HlcError `INVALID_CHANGE` when `text` is not an encoded HLC.
 */
export function parseHlc(text: string): Hlc {
  const m = HLC_PATTERN.exec(text);
  if (!m) throw new HlcError(`Expected an HLC "<15-digit ms>-<5-digit counter>-<replica>"; got ${JSON.stringify(text.slice(0, 60))}.`, 'INVALID_CHANGE');
  return { wallMs: Number(m[1]), counter: Number(m[2]), replica: m[3]! };
}

/** Total order of HLCs: wall time, then counter, then replica id. @returns negative, 0 or positive. */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0;
}

/** @returns the later of `a` and `b` (HLC merge: commutative, associative, idempotent). */
export function maxHlc(a: Hlc, b: Hlc): Hlc {
  return compareHlc(a, b) >= 0 ? a : b;
}

/**
 * Local event or send: a timestamp later than `last` and not earlier than the wall clock.
 * @param last - the replica's previous timestamp.
 * @param nowMs - the wall clock, in ms.
 * @throws HlcError `CLOCK_DRIFT` when the counter would overflow {@link MAX_HLC_COUNTER}.
 */
export function tickHlc(last: Hlc, nowMs: number): Hlc {
  if (nowMs > last.wallMs) return { wallMs: nowMs, counter: 0, replica: last.replica };
  if (last.counter >= MAX_HLC_COUNTER) throw new HlcError('HLC counter overflow: too many events in one millisecond.', 'CLOCK_DRIFT');
  return { wallMs: last.wallMs, counter: last.counter + 1, replica: last.replica };
}

/**
 * Receive: advances the local clock `local` past a remote timestamp, refusing a remote clock more
 * than `maxDriftMs` ahead of the wall clock (the bounded drift of the HLC paper, section 4).
 * @param nowMs - the wall clock, in ms.
 * @param maxDriftMs - largest accepted lead of `remote` over `nowMs`, in ms.
 * @returns the new local timestamp (keeps `local.replica`).
 * @throws HlcError `CLOCK_DRIFT` when `remote.wallMs - nowMs > maxDriftMs`.
 */
export function receiveHlc(local: Hlc, remote: Hlc, nowMs: number, maxDriftMs: number): Hlc {
  checkDrift(remote, nowMs, maxDriftMs);
  const wallMs = Math.max(local.wallMs, remote.wallMs, nowMs);
  let counter: number;
  if (wallMs === local.wallMs && wallMs === remote.wallMs) counter = Math.max(local.counter, remote.counter) + 1;
  else if (wallMs === local.wallMs) counter = local.counter + 1;
  else if (wallMs === remote.wallMs) counter = remote.counter + 1;
  else counter = 0;
  if (counter > MAX_HLC_COUNTER) throw new HlcError('HLC counter overflow: too many events in one millisecond.', 'CLOCK_DRIFT');
  return { wallMs, counter, replica: local.replica };
}

/**
 * @throws HlcError `CLOCK_DRIFT` when `remote` is more than `maxDriftMs` ms ahead of `nowMs`.
 */
export function checkDrift(remote: Hlc, nowMs: number, maxDriftMs: number): void {
  if (remote.wallMs - nowMs > maxDriftMs) {
    throw new HlcError(`Clock too far ahead: ${remote.wallMs - nowMs} ms ahead of the server, at most ${maxDriftMs} ms allowed.`, 'CLOCK_DRIFT');
  }
}
