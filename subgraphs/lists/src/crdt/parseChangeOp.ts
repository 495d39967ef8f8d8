import { CHANGE_KINDS, type ChangeKind, type ChangeOp } from './change';

/** Longest list title, in characters. */
export const MAX_TITLE_LENGTH = 200;
/** Longest note, in characters. */
export const MAX_NOTE_LENGTH = 10000;
/** Largest absolute quantity or quantity delta in one change. */
export const MAX_QUANTITY_DELTA = 10000;

/** Thrown by {@link parseChangeOp}; the message says what was expected and what came. */
export class InvalidChangeError extends Error {
  /** Stable error code. */
  readonly code = 'INVALID_CHANGE';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidChangeError';
  }
}

/** The flat wire form of an operation (`ChangeInput` / `Change` in the schema): `kind` plus the fields it needs. */
export interface ChangeOpFields {
  readonly kind: string;
  readonly title?: string | null;
  readonly archived?: boolean | null;
  readonly upc?: string | null;
  readonly quantity?: number | null;
  readonly delta?: number | null;
  readonly checked?: boolean | null;
  readonly observed?: readonly string[] | null;
  readonly base?: string | null;
  readonly text?: string | null;
  /** The member of `ADD_MEMBER` / `REMOVE_MEMBER`. */
  readonly memberId?: string | null;
  readonly conflictId?: string | null;
}

/**
 * Validates the wire form of an operation and returns the typed {@link ChangeOp}.
 * @throws InvalidChangeError naming the missing or invalid field, the kind, and what it accepts.
 */
export function parseChangeOp(fields: ChangeOpFields): ChangeOp {
  const kind = fields.kind as ChangeKind;
  if (!CHANGE_KINDS.includes(kind)) throw new InvalidChangeError(`Unknown change kind ${JSON.stringify(fields.kind)}; expected one of ${CHANGE_KINDS.join(', ')}.`);
  const str = (name: 'title' | 'upc' | 'base' | 'text' | 'memberId' | 'conflictId', max: number, allowEmpty = false): string => {
    const v = fields[name];
    if (typeof v !== 'string') throw new InvalidChangeError(`${kind} needs "${name}" (a string); got ${JSON.stringify(v ?? null)}.`);
    if ((!allowEmpty && v.length === 0) || v.length > max) throw new InvalidChangeError(`${kind}: "${name}" must be ${allowEmpty ? 0 : 1} to ${max} characters; got ${v.length}.`);
    return v;
  };
  const bool = (name: 'archived' | 'checked'): boolean => {
    const v = fields[name];
    if (typeof v !== 'boolean') throw new InvalidChangeError(`${kind} needs "${name}" (a boolean); got ${JSON.stringify(v ?? null)}.`);
    return v;
  };
  const int = (name: 'quantity' | 'delta', min: number): number => {
    const v = fields[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || Math.abs(v) > MAX_QUANTITY_DELTA) {
      throw new InvalidChangeError(`${kind} needs "${name}" (an integer from ${min} to ${MAX_QUANTITY_DELTA}); got ${JSON.stringify(v ?? null)}.`);
    }
    return v;
  };
  const tags = (): string[] => {
    const v = fields.observed;
    if (!Array.isArray(v) || v.some((t) => typeof t !== 'string' || t.length === 0 || t.length > 200) || v.length > 1000) {
      throw new InvalidChangeError(`${kind} needs "observed" (at most 1000 non-empty tags); got ${JSON.stringify(v ?? null)?.slice(0, 100)}.`);
    }
    return [...v];
  };
  switch (kind) {
    case 'CREATE_LIST':
    case 'SET_TITLE':
      return { kind, title: str('title', MAX_TITLE_LENGTH) };
    case 'SET_ARCHIVED':
      return { kind, archived: bool('archived') };
    case 'DELETE_LIST':
      return { kind };
    case 'ADD_ITEM':
      return { kind, upc: str('upc', 64), quantity: int('quantity', 0) };
    case 'REMOVE_ITEM':
      return { kind, upc: str('upc', 64), observed: tags() };
    case 'INCREMENT_QUANTITY': {
      const delta = int('delta', -MAX_QUANTITY_DELTA);
      if (delta === 0) throw new InvalidChangeError('INCREMENT_QUANTITY needs a non-zero "delta".');
      return { kind, upc: str('upc', 64), delta };
    }
    case 'SET_CHECKED':
      return { kind, upc: str('upc', 64), checked: bool('checked') };
    case 'EDIT_NOTE':
      return { kind, base: str('base', MAX_NOTE_LENGTH, true), text: str('text', MAX_NOTE_LENGTH, true) };
    case 'RESOLVE_CONFLICT':
      return { kind, conflictId: str('conflictId', 200), text: str('text', MAX_NOTE_LENGTH, true) };
    case 'ADD_MEMBER':
      return { kind, userId: str('memberId', 64) };
    case 'REMOVE_MEMBER':
      return { kind, userId: str('memberId', 64), observed: tags() };
  }
}

/** @returns the flat wire form of `op` (fields of other kinds absent); the inverse of {@link parseChangeOp}. */
export function changeOpFields(op: ChangeOp): ChangeOpFields {
  if (op.kind === 'ADD_MEMBER' || op.kind === 'REMOVE_MEMBER') {
    const { userId, ...rest } = op;
    return { ...rest, memberId: userId };
  }
  return { ...op };
}
