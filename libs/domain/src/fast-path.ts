import { z } from 'zod';
import { BOOKING_STATUSES, isKnownTimeZone, isRealDate, isRealTimestamp, MEMBER_ROLES, type EntityType } from './entities';

/**
 * A hand-written accept-only check for the entity schemas, for the ingest's hot path.
 * It mirrors each zod schema in entities.ts field by field and returns the same output
 * (known fields only, absent optionals left out) when the data is certainly valid, or
 * undefined when it is not — or when it cannot tell cheaply — in which case validation
 * runs zod, which stays the only source of problem codes and messages.
 * fast-path.spec.ts checks that it never accepts what zod rejects, nor returns
 * anything zod would not.
 */
type Check = (value: unknown) => boolean;
interface Field {
  name: string;
  check: Check;
  /** `nullable().optional()` in the schema. */
  optional?: boolean;
}

const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const COUNTRY = /^[A-Z]{2}$/;
const STATUSES = new Set<string>(BOOKING_STATUSES);
const ROLES = new Set<string>(MEMBER_ROLES);

const id: Check = (v) => typeof v === 'string' && v.length <= 128 && ENTITY_ID.test(v);
const text =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'string' && v.length >= min && v.length <= max;
const int =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const bool: Check = (v) => typeof v === 'boolean';
const timestamp: Check = (v) => typeof v === 'string' && isRealTimestamp(v);
const date: Check = (v) => typeof v === 'string' && isRealDate(v);
const status: Check = (v) => typeof v === 'string' && STATUSES.has(v);
const features: Check = (v) =>
  Array.isArray(v) && v.length <= 32 && v.every((f) => typeof f === 'string' && f.length >= 1 && f.length <= 64);
// z.email()'s own check: a string matching zod's email pattern (entities.ts passes no other pattern).
const EMAIL = z.regexes.email;
const email: Check = (v) => typeof v === 'string' && EMAIL.test(v);

const FIELDS: { readonly [K in EntityType]: readonly Field[] } = {
  building: [
    { name: 'id', check: id },
    { name: 'name', check: text(1, 200) },
    { name: 'address', check: text(0, 500), optional: true },
    { name: 'city', check: text(1, 200) },
    { name: 'countryCode', check: (v) => typeof v === 'string' && COUNTRY.test(v) },
    { name: 'timezone', check: (v) => typeof v === 'string' && isKnownTimeZone(v) },
  ],
  floor: [
    { name: 'id', check: id },
    { name: 'buildingId', check: id },
    { name: 'name', check: text(1, 200) },
    { name: 'level', check: int(-20, 300) },
  ],
  desk: [
    { name: 'id', check: id },
    { name: 'floorId', check: id },
    { name: 'label', check: text(1, 100) },
    { name: 'features', check: features },
    { name: 'bookable', check: bool },
  ],
  room: [
    { name: 'id', check: id },
    { name: 'floorId', check: id },
    { name: 'name', check: text(1, 200) },
    { name: 'capacity', check: int(1, 10_000) },
    { name: 'features', check: features },
    { name: 'bookable', check: bool },
  ],
  team: [
    { name: 'id', check: id },
    { name: 'name', check: text(1, 200) },
    { name: 'costCenter', check: text(0, 64), optional: true },
  ],
  member: [
    { name: 'id', check: id },
    { name: 'teamId', check: (v) => v === null || id(v) },
    { name: 'email', check: email },
    { name: 'displayName', check: text(1, 200) },
    { name: 'role', check: (v) => typeof v === 'string' && ROLES.has(v) },
    { name: 'active', check: bool },
  ],
  desk_booking: [
    { name: 'id', check: id },
    { name: 'deskId', check: id },
    { name: 'memberId', check: id },
    { name: 'date', check: date },
    { name: 'startTime', check: timestamp },
    { name: 'endTime', check: timestamp },
    { name: 'status', check: status },
    { name: 'checkedInAt', check: timestamp, optional: true },
    { name: 'cancelledAt', check: timestamp, optional: true },
  ],
  room_booking: [
    { name: 'id', check: id },
    { name: 'roomId', check: id },
    { name: 'organizerId', check: id },
    { name: 'title', check: text(0, 200), optional: true },
    { name: 'startTime', check: timestamp },
    { name: 'endTime', check: timestamp },
    { name: 'attendeeCount', check: int(1, 10_000) },
    { name: 'status', check: status },
    { name: 'checkedInAt', check: timestamp, optional: true },
    { name: 'cancelledAt', check: timestamp, optional: true },
  ],
  visit: [
    { name: 'id', check: id },
    { name: 'hostId', check: id },
    { name: 'buildingId', check: id },
    { name: 'visitorName', check: text(1, 200) },
    { name: 'visitorEmail', check: email, optional: true },
    { name: 'visitorCompany', check: text(0, 200), optional: true },
    { name: 'expectedAt', check: timestamp },
    { name: 'status', check: status },
    { name: 'arrivedAt', check: timestamp, optional: true },
    { name: 'departedAt', check: timestamp, optional: true },
  ],
};

/**
 * The parsed entity state when `data` is certainly valid for `entityType`; otherwise
 * undefined (ask zod). With `owned` (the caller parsed `data` itself and nothing else
 * holds it), `data` is returned as it is when it is a plain object with no keys beyond
 * the schema's: it then equals zod's output, and copying it would only make garbage.
 */
export function fastParse(entityType: EntityType, data: Record<string, unknown>, owned = false): Record<string, unknown> | undefined {
  const fields = FIELDS[entityType];
  let present = 0;
  for (const field of fields) {
    const value = data[field.name];
    if (field.optional && (value === undefined || value === null)) {
      if (value === null) present++;
      continue;
    }
    if (!field.check(value)) return undefined;
    present++;
  }
  if (owned && Object.getPrototypeOf(data) === Object.prototype && enumerableKeys(data) === present) return data;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = data[field.name];
    if (value !== undefined) out[field.name] = value;
  }
  return out;
}

/** Own and inherited enumerable string keys, as for...in sees them (no array allocated, unlike Object.keys). */
function enumerableKeys(value: object): number {
  let n = 0;
  // Inherited keys count too, on purpose: any key beyond the schema's means "copy".
  for (const _ in value) n++;
  return n;
}
