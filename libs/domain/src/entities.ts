import type { z } from 'zod';
import * as f from './fields';

/**
 * The nine entity types of the workplace model and the complete state each event
 * carries for them (events are state-carried: any single event can be applied alone).
 *
 * Field names are camelCase on the wire; the warehouse maps them to snake_case columns
 * (libs/bq `warehouseSchema`). Member and Visit hold personal data — the fields listed
 * in `PERSONAL_DATA_FIELDS` must never be logged.
 */

/** Entity ids are opaque strings chosen by the source system; bounded so they fit keys and logs. */
export const entityId = f.id.zod;

const timestamp = f.refined(
  isRealTimestamp,
  'must be an RFC 3339 timestamp from 1900 to 9999-12-31T23:59:59.999999Z in UTC, e.g. 2026-01-05T09:00:00Z',
);
const date = f.refined(isRealDate, 'must be a calendar date (YYYY-MM-DD) between 1900 and 9999, e.g. 2026-01-05');
const features = f.list(f.text(1, 64), 32);
/** IANA zone names, checked against the runtime's own zone database. */
const timezone = f.refined(isKnownTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin');

export const MEMBER_ROLES = ['employee', 'contractor', 'admin'] as const;

/** Lifecycle shared by desk bookings, room bookings and visits. */
export const BOOKING_STATUSES = ['booked', 'checked_in', 'cancelled', 'no_show', 'completed'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
const status = f.oneOf(BOOKING_STATUSES);

/**
 * Every entity type's fields, declared once: ENTITY_SCHEMAS (zod, for messages) and the
 * ingest's fast path (fast-path.ts) are both built from these.
 * Cross-field rules (end after start, status matching the event's action) are checked in
 * validateEvent, so they are reported together with every field problem.
 */
export const ENTITY_FIELDS = {
  building: {
    id: f.id,
    name: f.text(1, 200),
    address: f.optional(f.text(0, 500)),
    city: f.text(1, 200),
    countryCode: f.pattern(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code, e.g. DE'),
    timezone,
  },
  floor: { id: f.id, buildingId: f.id, name: f.text(1, 200), level: f.int(-20, 300) },
  desk: { id: f.id, floorId: f.id, label: f.text(1, 100), features, bookable: f.bool },
  room: { id: f.id, floorId: f.id, name: f.text(1, 200), capacity: f.int(1, 10_000), features, bookable: f.bool },
  team: { id: f.id, name: f.text(1, 200), costCenter: f.optional(f.text(0, 64)) },
  member: {
    id: f.id,
    teamId: f.nullable(f.id),
    /** Personal data. */
    email: f.email,
    /** Personal data. */
    displayName: f.text(1, 200),
    role: f.oneOf(MEMBER_ROLES),
    active: f.bool,
  },
  desk_booking: {
    id: f.id,
    deskId: f.id,
    memberId: f.id,
    /** The local calendar day of the booking in the building's time zone. */
    date,
    startTime: timestamp,
    endTime: timestamp,
    status,
    checkedInAt: f.optional(timestamp),
    cancelledAt: f.optional(timestamp),
  },
  room_booking: {
    id: f.id,
    roomId: f.id,
    organizerId: f.id,
    title: f.optional(f.text(0, 200)),
    startTime: timestamp,
    endTime: timestamp,
    attendeeCount: f.int(1, 10_000),
    status,
    checkedInAt: f.optional(timestamp),
    cancelledAt: f.optional(timestamp),
  },
  visit: {
    id: f.id,
    hostId: f.id,
    buildingId: f.id,
    /** Personal data. */
    visitorName: f.text(1, 200),
    /** Personal data. */
    visitorEmail: f.optional(f.email),
    visitorCompany: f.optional(f.text(0, 200)),
    expectedAt: timestamp,
    status,
    arrivedAt: f.optional(timestamp),
    departedAt: f.optional(timestamp),
  },
} as const;

export const BuildingSchema = f.objectOf(ENTITY_FIELDS.building);
export const FloorSchema = f.objectOf(ENTITY_FIELDS.floor);
export const DeskSchema = f.objectOf(ENTITY_FIELDS.desk);
export const RoomSchema = f.objectOf(ENTITY_FIELDS.room);
export const TeamSchema = f.objectOf(ENTITY_FIELDS.team);
export const MemberSchema = f.objectOf(ENTITY_FIELDS.member);
export const DeskBookingSchema = f.objectOf(ENTITY_FIELDS.desk_booking);
export const RoomBookingSchema = f.objectOf(ENTITY_FIELDS.room_booking);
export const VisitSchema = f.objectOf(ENTITY_FIELDS.visit);

export type Building = z.infer<typeof BuildingSchema>;
export type Floor = z.infer<typeof FloorSchema>;
export type Desk = z.infer<typeof DeskSchema>;
export type Room = z.infer<typeof RoomSchema>;
export type Team = z.infer<typeof TeamSchema>;
export type Member = z.infer<typeof MemberSchema>;
export type DeskBooking = z.infer<typeof DeskBookingSchema>;
export type RoomBooking = z.infer<typeof RoomBookingSchema>;
export type Visit = z.infer<typeof VisitSchema>;

/**
 * The registry every other part iterates over: wire name, schema, and which entity
 * types have the booking lifecycle. The order is a dependency order (referenced
 * types first), which the generator and reference-data loaders rely on.
 */
export const ENTITY_TYPES = ['building', 'floor', 'desk', 'room', 'team', 'member', 'desk_booking', 'room_booking', 'visit'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface EntityStateByType {
  building: Building;
  floor: Floor;
  desk: Desk;
  room: Room;
  team: Team;
  member: Member;
  desk_booking: DeskBooking;
  room_booking: RoomBooking;
  visit: Visit;
}
export type EntityState = EntityStateByType[EntityType];

// `satisfies` keeps each schema's own type, so callers can read its `.shape`.
export const ENTITY_SCHEMAS = {
  building: BuildingSchema,
  floor: FloorSchema,
  desk: DeskSchema,
  room: RoomSchema,
  team: TeamSchema,
  member: MemberSchema,
  desk_booking: DeskBookingSchema,
  room_booking: RoomBookingSchema,
  visit: VisitSchema,
} as const satisfies { readonly [K in EntityType]: z.ZodType<EntityStateByType[K]> };

/** Entity types whose events include the booking lifecycle (checked in, cancelled, no-show, completed). */
export const LIFECYCLE_ENTITY_TYPES: ReadonlySet<EntityType> = new Set(['desk_booking', 'room_booking', 'visit']);

/** Fields that hold personal data, per entity type. Loggers redact them; nothing else may print them. */
export const PERSONAL_DATA_FIELDS: { readonly [K in EntityType]?: readonly (keyof EntityStateByType[K])[] } = {
  member: ['email', 'displayName'],
  visit: ['visitorName', 'visitorEmail'],
};

export function isEntityType(value: string): value is EntityType {
  return (ENTITY_TYPES as readonly string[]).includes(value);
}

const knownZones = new Set<string>(Intl.supportedValuesOf('timeZone'));
/** True for an IANA time zone name the runtime knows. */
export function isKnownTimeZone(value: string): boolean {
  // supportedValuesOf lists canonical names only; UTC and aliases are still valid zones.
  if (knownZones.has(value)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/**
 * True for a real calendar day between 1900 and 9999 (YYYY-MM-DD). `Date.parse` would
 * roll 2026-02-30 over to March, and BigQuery rejects years before 0001, so one bad
 * value would otherwise fail a whole warehouse batch.
 */
export function isRealDate(value: string): boolean {
  return value.length === 10 && dateAt(value, 0);
}

/**
 * True for an RFC 3339 timestamp with a mandatory offset (`Z` or ±hh:mm) whose date and
 * clock fields are all in range, e.g. 2026-01-05T09:00:00.123Z, and whose instant a
 * warehouse TIMESTAMP holds: in UTC, rounded up to the microsecond, no later than
 * 9999-12-31T23:59:59.999999Z (`9999-12-31T23:00:00-05:00` is in year 10000 there, and
 * BigQuery would refuse the whole statement carrying it). Hand-parsed with charCodeAt: it
 * runs for every timestamp of every event (a regex was a tenth of the pipeline's CPU in
 * the ingest benchmark).
 */
export function isRealTimestamp(value: string): boolean {
  if (!isWellFormedTimestamp(value)) return false;
  // Only year 9999 can pass the warehouse's last instant once in UTC.
  return value.charCodeAt(0) !== 57 || value.charCodeAt(1) !== 57 || value.charCodeAt(2) !== 57 || value.charCodeAt(3) !== 57
    ? true
    : withinLastInstant(value);
}

/** The latest instant a warehouse TIMESTAMP holds (BigQuery: 9999-12-31 23:59:59.999999 UTC), in milliseconds. */
const LAST_MILLISECOND = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function withinLastInstant(value: string): boolean {
  const millis = Date.parse(value);
  if (millis < LAST_MILLISECOND) return true;
  if (millis > LAST_MILLISECOND) return false;
  // The same millisecond: any digit beyond the microsecond rounds it past the last instant.
  const fraction = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d+)/i.exec(value)?.[1] ?? '';
  return !/[1-9]/.test(fraction.slice(6));
}

/**
 * The shape half of isRealTimestamp: RFC 3339 with an offset and every field in range,
 * whatever instant it names. For callers that explain which half failed.
 */
export function isWellFormedTimestamp(value: string): boolean {
  const n = value.length;
  if (n < 20 || !dateAt(value, 0)) return false;
  const t = value.charCodeAt(10);
  if (t !== 84 /* T */ && t !== 116 /* t */) return false;
  if (
    !twoDigits(value, 11, 23) ||
    value.charCodeAt(13) !== 58 ||
    !twoDigits(value, 14, 59) ||
    value.charCodeAt(16) !== 58 ||
    !twoDigits(value, 17, 59)
  ) {
    return false;
  }
  let i = 19;
  if (value.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < n && isDigit(value.charCodeAt(i))) i++;
    if (i === start || i - start > 9) return false;
  }
  const zone = value.charCodeAt(i);
  if (zone === 90 /* Z */ || zone === 122 /* z */) return i + 1 === n;
  if (zone !== 43 /* + */ && zone !== 45 /* - */) return false;
  return i + 6 === n && twoDigits(value, i + 1, 23) && value.charCodeAt(i + 3) === 58 && twoDigits(value, i + 4, 59);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function dateAt(v: string, at: number): boolean {
  // Unrolled rather than a loop over an array of offsets, which allocated per call.
  if (
    !isDigit(v.charCodeAt(at)) ||
    !isDigit(v.charCodeAt(at + 1)) ||
    !isDigit(v.charCodeAt(at + 2)) ||
    !isDigit(v.charCodeAt(at + 3)) ||
    v.charCodeAt(at + 4) !== 45 ||
    !isDigit(v.charCodeAt(at + 5)) ||
    !isDigit(v.charCodeAt(at + 6)) ||
    v.charCodeAt(at + 7) !== 45 ||
    !isDigit(v.charCodeAt(at + 8)) ||
    !isDigit(v.charCodeAt(at + 9))
  ) {
    return false;
  }
  const year = num(v, at, 4);
  const month = num(v, at + 5, 2);
  const day = num(v, at + 8, 2);
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

function twoDigits(v: string, at: number, max: number): boolean {
  const a = v.charCodeAt(at);
  const b = v.charCodeAt(at + 1);
  return isDigit(a) && isDigit(b) && (a - 48) * 10 + (b - 48) <= max;
}

function num(v: string, at: number, length: number): number {
  let out = 0;
  for (let k = 0; k < length; k++) out = out * 10 + (v.charCodeAt(at + k) - 48);
  return out;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
