import { ENTITY_FIELDS, type BookingStatus, type EntityType } from '@phoenix/domain';
import { WriteError } from './errors';

/**
 * The business rules of the commands, pure: slot sanity, the lifecycle's legal
 * transitions, and the mapping of a warehouse row back to the complete entity state an
 * event must carry. The command runner (commands.ts) feeds them the current state.
 */

/** Which statuses each lifecycle command may start from. */
export const TRANSITIONS = {
  cancel: ['booked'],
  checkIn: ['booked'],
  signIn: ['booked'],
  signOut: ['checked_in'],
} as const satisfies Record<string, readonly BookingStatus[]>;

export type Transition = keyof typeof TRANSITIONS;

/** Throws INVALID_TRANSITION unless `from` is a status the transition may start from. */
export function checkTransition(transition: Transition, entity: string, from: string): void {
  const allowed: readonly string[] = TRANSITIONS[transition];
  if (!allowed.includes(from)) {
    throw new WriteError('INVALID_TRANSITION', `${entity} is ${from}; ${transition} needs it to be ${allowed.join(' or ')}`);
  }
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(instantMs: number, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instantMs));
}

export interface Slot {
  startMs: number;
  endMs: number;
  /** The booking's local day, in the building's time zone. */
  date: string;
}

/**
 * A bookable slot: real timestamps, end after start, not starting further in the past
 * than `pastToleranceMs`, and (for desks, `sameDay`) within one local day of the
 * building, which is the booking's `date`. A `date` the client sent must be that day.
 */
export function checkSlot(input: {
  startTime: string;
  endTime: string;
  date?: string | null;
  timeZone: string;
  nowMs: number;
  pastToleranceMs: number;
  sameDay: boolean;
}): Slot {
  const startMs = Date.parse(input.startTime);
  const endMs = Date.parse(input.endTime);
  if (Number.isNaN(startMs) || Number.isNaN(endMs))
    throw new WriteError('INVALID_SLOT', 'startTime and endTime must be RFC 3339 timestamps');
  if (endMs <= startMs) throw new WriteError('INVALID_SLOT', 'endTime must be after startTime');
  if (startMs < input.nowMs - input.pastToleranceMs) {
    throw new WriteError('INVALID_SLOT', `startTime is in the past (more than ${Math.round(input.pastToleranceMs / 60_000)} minutes ago)`);
  }
  const date = localDate(startMs, input.timeZone);
  if (input.sameDay && localDate(endMs - 1, input.timeZone) !== date) {
    throw new WriteError('INVALID_SLOT', `the slot must end on the day it starts (${date} in ${input.timeZone})`);
  }
  if (input.date && input.date !== date) {
    throw new WriteError(
      'INVALID_SLOT',
      `date is ${input.date} but startTime falls on ${date} in the building's time zone (${input.timeZone})`,
    );
  }
  return { startMs, endMs, date };
}

/** The check-in window of a booking: from `earlyMs` before its start until its end. */
export function checkCheckInWindow(entity: string, startTime: string, endTime: string, nowMs: number, earlyMs: number): void {
  if (nowMs < Date.parse(startTime) - earlyMs) {
    throw new WriteError(
      'INVALID_TRANSITION',
      `${entity} starts at ${startTime}; check-in opens ${Math.round(earlyMs / 60_000)} minutes before`,
    );
  }
  if (nowMs >= Date.parse(endTime))
    throw new WriteError('INVALID_TRANSITION', `${entity} ended at ${endTime}; it can no longer be checked in`);
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The complete entity state (camelCase fields, as events carry it) from a current-table row. */
export function stateOfRow<K extends EntityType>(entityType: K, row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const field of Object.keys(ENTITY_FIELDS[entityType])) {
    const value = row[snake(field)];
    state[field] = value === undefined ? null : value;
  }
  return state;
}
