import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { fastParse } from './fast-path';
import { BOOKING_STATUSES, ENTITY_SCHEMAS, entityId, isRealTimestamp, type EntityType } from './entities';
import { EVENT_TYPES, LIFECYCLE_ACTIONS, type DomainEvent, type EventAction, type Tombstone } from './events';

/**
 * Stable codes for everything that can be wrong with an incoming event. They are
 * part of the public contract: dead-letter rows, metrics labels and API consumers
 * key on them, so add new codes but never rename one.
 */
export const PROBLEM_CODES = {
  /** The message is larger than the configured limit; it was not parsed. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The bytes are not UTF-8 JSON. */
  MALFORMED_JSON: 'MALFORMED_JSON',
  /** The JSON is valid but not an object. */
  NOT_AN_OBJECT: 'NOT_AN_OBJECT',
  /** `specversion` is not "1.0". */
  UNSUPPORTED_SPEC_VERSION: 'UNSUPPORTED_SPEC_VERSION',
  /** A required attribute (other than the tenant) is absent. */
  MISSING_FIELD: 'MISSING_FIELD',
  /** The `tenantid` extension attribute is absent or empty. */
  MISSING_TENANT: 'MISSING_TENANT',
  /** `type` is not one of the event types in `EVENT_TYPES`. */
  UNKNOWN_EVENT_TYPE: 'UNKNOWN_EVENT_TYPE',
  /** A present attribute or data field has the wrong type, format or value. */
  INVALID_FIELD: 'INVALID_FIELD',
  /** `entityid` differs from `data.id`. */
  ENTITY_ID_MISMATCH: 'ENTITY_ID_MISMATCH',
} as const;
export type ProblemCode = (typeof PROBLEM_CODES)[keyof typeof PROBLEM_CODES];

export interface ValidationProblem {
  readonly code: ProblemCode;
  /** JSON Pointer (RFC 6901) into the envelope, e.g. `/data/deskId`; empty for the whole message. */
  readonly path: string;
  /** What is wrong and what to do about it. Never contains the offending value (it may be personal data). */
  readonly message: string;
}

/** What could be read from a rejected message: dead letters are filed under it when present. */
export interface PartialEventInfo {
  eventId?: string;
  tenantId?: string;
  type?: string;
  entityId?: string;
}

export type ValidationResult =
  | {
      readonly ok: true;
      readonly event: DomainEvent;
      /** The JSON text that was parsed, when the input was bytes or a string (the ingest stores it as the raw payload). */
      readonly text?: string;
    }
  | { readonly ok: false; readonly problems: readonly ValidationProblem[]; readonly partial: PartialEventInfo };

export interface ValidateOptions {
  /**
   * Largest accepted message in bytes. A state-carried event is a few hundred bytes;
   * the default stays below Kafka's default `message.max.bytes` (1,048,588 including
   * record overhead), so an oversized event still reaches us and can be dead-lettered.
   */
  maxBytes?: number;
}

export const DEFAULT_MAX_EVENT_BYTES = 1_000_000;

// Tenant ids become label values and key prefixes: short, lower-case, URL-safe.
// Lengths are checked apart from the patterns (TENANT_ID_MAX, EVENT_ID_MAX): V8 runs a
// bounded repeat such as {1,128} about twice as slowly as `*`/`+` (tools/bench/ingest).
const TENANT_ID_MAX = 63;
const TENANT_ID = /^[a-z0-9][a-z0-9_-]*$/;
// Event ids are compared as strings to break ties between versions; restricting them to
// printable ASCII makes JavaScript (UTF-16) and BigQuery (UTF-8 bytes) order them alike.
const EVENT_ID_MAX = 128;
const EVENT_ID = /^[\x21-\x7E]+$/;
const TombstoneSchema = z.object({ id: entityId });

/** One line per problem, e.g. `INVALID_FIELD /data/deskId: must not be empty`. */
export function formatProblem(problem: ValidationProblem): string {
  return `${problem.code}${problem.path ? ` ${problem.path}` : ''}: ${problem.message}`;
}

/**
 * Validates one message from the wire (bytes, a string, or already-parsed JSON).
 * Returns every problem at once, each with a stable code and a JSON Pointer, so a
 * producer can fix them all in one go.
 */
export function validateEvent(input: Uint8Array | string | unknown, options: ValidateOptions = {}): ValidationResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  let value: unknown = input;
  let text: string | undefined;

  if (input instanceof Uint8Array || typeof input === 'string') {
    const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    if (size > maxBytes) {
      return reject([
        {
          code: 'PAYLOAD_TOO_LARGE',
          path: '',
          message: `message is ${size} bytes; the limit is ${maxBytes}. Split the payload or raise the limit.`,
        },
      ]);
    }
    try {
      text = typeof input === 'string' ? input : utf8(input);
      value = JSON.parse(text);
    } catch (err) {
      // V8's message quotes the input, which may be personal data: report only where it broke.
      const at = err instanceof SyntaxError ? /position (\d+)/.exec(err.message)?.[1] : undefined;
      const detail = err instanceof SyntaxError ? (at === undefined ? 'invalid JSON' : `invalid JSON at byte ${at}`) : 'not valid UTF-8';
      return reject([{ code: 'MALFORMED_JSON', path: '', message: `not a JSON document (${detail})` }]);
    }
  }

  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject([{ code: 'NOT_AN_OBJECT', path: '', message: 'the event must be a JSON object (a CloudEvents envelope)' }]);
  }
  return validateEnvelope(value as Record<string, unknown>, text);
}

/** `text`: the JSON text `env` was parsed from here, if it was; nothing else then holds `env`. */
function validateEnvelope(env: Record<string, unknown>, text: string | undefined): ValidationResult {
  const problems: ValidationProblem[] = [];
  // What could be read, kept in locals: the partial info object is built only for a rejection.
  let eventId: string | undefined;
  let tenantId: string | undefined;
  let entityIdOk: string | undefined;

  if (env['specversion'] === undefined) {
    problems.push(missing('/specversion', 'specversion is required and must be "1.0"'));
  } else if (env['specversion'] !== '1.0') {
    problems.push({ code: 'UNSUPPORTED_SPEC_VERSION', path: '/specversion', message: 'only CloudEvents "1.0" is supported' });
  }

  const id = requiredString(env, 'id', problems);
  if (id !== undefined) {
    if (id.length > EVENT_ID_MAX || !EVENT_ID.test(id))
      problems.push(invalid('/id', `must be 1-${EVENT_ID_MAX} printable ASCII characters without spaces`));
    else eventId = id;
  }
  const source = requiredString(env, 'source', problems);

  const tenant = env['tenantid'];
  if (tenant === undefined || tenant === null || tenant === '') {
    problems.push({ code: 'MISSING_TENANT', path: '/tenantid', message: 'every event needs the tenantid extension attribute' });
  } else if (typeof tenant !== 'string' || tenant.length > TENANT_ID_MAX || !TENANT_ID.test(tenant)) {
    problems.push(invalid('/tenantid', 'must be 1-63 characters of a-z, 0-9, _ or -, starting with a letter or digit'));
  } else {
    tenantId = tenant;
  }

  const entityIdValue = requiredString(env, 'entityid', problems);
  if (entityIdValue !== undefined) {
    // The same rule as the entityId schema, without zod's per-call cost on the hot path.
    if (isEntityId(entityIdValue)) entityIdOk = entityIdValue;
    else problems.push(invalid('/entityid', entityId.safeParse(entityIdValue).error?.issues[0]?.message ?? 'invalid id'));
  }

  const type = requiredString(env, 'type', problems);
  const typeInfo = type === undefined ? undefined : EVENT_TYPES.get(type);
  if (type !== undefined && !typeInfo) {
    problems.push({
      code: 'UNKNOWN_EVENT_TYPE',
      path: '/type',
      message: 'not a Phoenix event type; expected phoenix.<entity>.<action>, e.g. phoenix.desk_booking.created',
    });
  }

  const timeValue = requiredString(env, 'time', problems);
  let timeMs = Number.NaN;
  if (timeValue !== undefined) {
    timeMs = isRealTimestamp(timeValue) ? timestampMs(timeValue) : Number.NaN;
    if (Number.isNaN(timeMs))
      problems.push(
        invalid('/time', 'must be an RFC 3339 timestamp from 1900 to 9999-12-31T23:59:59.999999Z in UTC, e.g. 2026-01-05T09:00:00Z'),
      );
  }

  const seq = env['seq'];
  if (seq !== undefined && seq !== null && !(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0)) {
    problems.push(invalid('/seq', 'must be a non-negative integer when present'));
  }

  const subject = env['subject'];
  if (subject !== undefined && typeof subject !== 'string') problems.push(invalid('/subject', 'must be a string when present'));

  const contentType = env['datacontenttype'];
  if (contentType !== undefined && contentType !== 'application/json') {
    problems.push(invalid('/datacontenttype', 'must be "application/json" when present'));
  }

  const data = env['data'];
  let state: unknown;
  if (data === undefined || data === null) {
    problems.push(missing('/data', 'data is required and must hold the complete entity state after the change'));
  } else if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push(invalid('/data', 'must be a JSON object holding the complete entity state'));
  } else if (typeInfo) {
    // When we parsed the JSON ourselves, nothing else holds the objects: the fast path may keep `data` as it is.
    state = validateData(typeInfo.entityType, typeInfo.action, data as Record<string, unknown>, text !== undefined, problems);
    const dataId = (data as Record<string, unknown>)['id'];
    if (entityIdOk !== undefined && typeof dataId === 'string' && dataId !== entityIdOk) {
      problems.push({ code: 'ENTITY_ID_MISMATCH', path: '/data/id', message: 'data.id must equal the entityid attribute' });
    }
  }

  if (problems.length > 0 || !typeInfo || state === undefined) {
    const partial: PartialEventInfo = {};
    if (eventId !== undefined) partial.eventId = eventId;
    if (tenantId !== undefined) partial.tenantId = tenantId;
    if (entityIdOk !== undefined) partial.entityId = entityIdOk;
    if (type !== undefined) partial.type = type;
    return { ok: false, problems: unique(problems), partial };
  }

  const event: DomainEvent = {
    id: id as string,
    source: source as string,
    type: typeInfo.name,
    entityType: typeInfo.entityType,
    action: typeInfo.action,
    tenantId: tenantId as string,
    entityId: entityIdOk as string,
    timeMs,
    time: isCanonicalUtc(timeValue as string) ? (timeValue as string) : new Date(timeMs).toISOString(),
    seq: typeof seq === 'number' ? seq : null,
    subject: typeof subject === 'string' ? subject : null,
    tombstone: typeInfo.action === 'deleted',
    data: state as DomainEvent['data'],
  };
  return text === undefined ? { ok: true, event } : { ok: true, event, text };
}

function validateData(
  entityType: EntityType,
  action: EventAction,
  data: Record<string, unknown>,
  owned: boolean,
  problems: ValidationProblem[],
): unknown {
  // Valid events skip zod; anything the fast check is unsure of gets zod's full report.
  const fast = action === 'deleted' ? undefined : fastParse(entityType, data, owned);
  if (fast) {
    const before = problems.length;
    // Bookings' startTime and endTime are schema fields, so the fast path has just checked them.
    crossFieldProblems(action, data, problems, entityType === 'desk_booking' || entityType === 'room_booking');
    return problems.length === before ? fast : undefined;
  }
  const schema = action === 'deleted' ? TombstoneSchema : ENTITY_SCHEMAS[entityType];
  const parsed = schema.safeParse(data);
  const before = problems.length;
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = `/data${issue.path.map((segment) => `/${escapePointer(String(segment))}`).join('')}`;
      const present = valueAt(data, issue.path) !== undefined;
      problems.push(present ? invalid(path, issue.message) : missing(path, `${issue.path.join('.')} is required`));
    }
  }
  if (action !== 'deleted') crossFieldProblems(action, data, problems, false);
  return problems.length === before && parsed.success ? (parsed.data as EntityState | Tombstone) : undefined;
}

/**
 * Rules that span fields, checked whenever the fields they read are themselves valid,
 * so they are reported together with every other problem.
 */
function crossFieldProblems(action: EventAction, data: Record<string, unknown>, problems: ValidationProblem[], timesValid: boolean): void {
  const { startTime, endTime, status } = data as { startTime?: unknown; endTime?: unknown; status?: unknown };
  // timesValid: startTime and endTime are known to be real timestamps already.
  if (
    typeof startTime === 'string' &&
    typeof endTime === 'string' &&
    (timesValid || (isRealTimestamp(startTime) && isRealTimestamp(endTime)))
  ) {
    // Two canonical UTC timestamps order as strings do (same layout, fixed widths), which
    // spares two Date.parse calls per booking; any other pair is compared as instants.
    const endsAfterStart =
      isCanonicalUtc(startTime) && isCanonicalUtc(endTime) ? endTime > startTime : timestampMs(endTime) > timestampMs(startTime);
    if (!endsAfterStart) problems.push(invalid('/data/endTime', 'must be after startTime'));
  }
  // A lifecycle event must carry the state it announces: a checked_in event whose
  // status is still "booked" would otherwise rewind the booking.
  if (LIFECYCLE_ACTION_SET.has(action) && typeof status === 'string' && BOOKING_STATUS_SET.has(status)) {
    if (status !== action) problems.push(invalid('/data/status', `must be "${action}" for a ${action} event`));
  }
}

const LIFECYCLE_ACTION_SET: ReadonlySet<string> = new Set(LIFECYCLE_ACTIONS);
const BOOKING_STATUS_SET: ReadonlySet<string> = new Set(BOOKING_STATUSES);

/** One problem per code and path: zod can report the same field twice (e.g. empty and malformed). */
function unique(problems: readonly ValidationProblem[]): ValidationProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code} ${p.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type EntityState = ReturnType<(typeof ENTITY_SCHEMAS)[EntityType]['parse']>;

/**
 * Strict UTF-8 decoding. The plain decode replaces every invalid sequence with U+FFFD, so
 * text without one came from valid UTF-8; only text with one (which valid input may also
 * carry) needs node:buffer's strict check, a second pass over the bytes otherwise.
 */
function utf8(bytes: Uint8Array): string {
  // A Buffer (what Kafka clients hand over) decodes as it is; a view is made only for other Uint8Arrays.
  const text = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
  if (text.includes('\uFFFD') && !isUtf8(bytes)) throw new TypeError('not valid UTF-8');
  return text;
}

const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
function isEntityId(value: string): boolean {
  return value.length <= 128 && ENTITY_ID.test(value);
}

/** Already what toISOString() would print (e.g. 2026-01-05T09:00:00.000Z): no need to rebuild it. */
function isCanonicalUtc(value: string): boolean {
  return value.length === 24 && value.charCodeAt(23) === 90 /* Z */ && value.charCodeAt(19) === 46; /* . */
}

/**
 * `Date.parse` of a timestamp that `isRealTimestamp` accepted. The canonical UTC form,
 * which nearly every event uses, is read field by field into `Date.UTC`: Date.parse's
 * general parser cost about 0.4 µs per call, three calls per booking
 * (tools/bench/ingest). validation.spec.ts checks both agree.
 */
function timestampMs(value: string): number {
  if (!isCanonicalUtc(value) || value.charCodeAt(10) !== 84 /* T */) return Date.parse(value);
  return Date.UTC(
    digits(value, 0, 4),
    digits(value, 5, 2) - 1,
    digits(value, 8, 2),
    digits(value, 11, 2),
    digits(value, 14, 2),
    digits(value, 17, 2),
    digits(value, 20, 3),
  );
}

function digits(value: string, at: number, length: number): number {
  let out = 0;
  for (let k = 0; k < length; k++) out = out * 10 + (value.charCodeAt(at + k) - 48);
  return out;
}

function requiredString(env: Record<string, unknown>, key: string, problems: ValidationProblem[]): string | undefined {
  const value = env[key];
  if (value === undefined || value === null || value === '') {
    problems.push(missing(`/${key}`, `${key} is required`));
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.push(invalid(`/${key}`, 'must be a string'));
    return undefined;
  }
  return value;
}

function missing(path: string, message: string): ValidationProblem {
  return { code: 'MISSING_FIELD', path, message };
}

function invalid(path: string, message: string): ValidationProblem {
  return { code: 'INVALID_FIELD', path, message };
}

function reject(problems: ValidationProblem[]): ValidationResult {
  return { ok: false, problems, partial: {} };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
