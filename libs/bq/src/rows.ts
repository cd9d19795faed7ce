import type { DomainEvent, EntityType, ValidationProblem } from '@phoenix/domain';
import { ENRICHMENT_COLUMNS, ENTITY_COLUMNS } from './schema/tables';

/** One version of an entity as stored in its current and history tables (snake_case columns). */
export type VersionRow = Record<string, unknown> & {
  tenant_id: string;
  id: string;
  deleted: boolean;
  event_id: string;
  event_type: string;
  seq: number | null;
  valid_from: string;
  recorded_at: string;
};

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
// Per entity type, its columns and, at the same index, the event field each one holds.
const COLUMNS_OF = Object.fromEntries(
  Object.entries(ENTITY_COLUMNS).map(([type, columns]) => [type, columns.map((c) => c.name)]),
) as unknown as {
  [K in EntityType]: readonly string[];
};
const FIELDS_OF = Object.fromEntries(
  Object.entries(ENTITY_COLUMNS).map(([type, columns]) => [type, columns.map((c) => camel(c.name))]),
) as unknown as { [K in EntityType]: readonly string[] };

/*
 * Rows start as copies of a blank row of their entity type, with every column present and
 * null, and are then filled in. The ingest builds one or two rows per event
 * (tools/bench/ingest), and a row built column by column grows its property storage
 * several times, while a row with more than a dozen columns added to it by name
 * (a spread of the enrichment columns) turns into a slow hash-table object. The blanks
 * come from JSON.parse, which lays every property out inside the object, and each is
 * copied at its own spread in blankRow: one spread site that sees nine shapes of row is
 * several times slower than nine that each see one.
 */
const blank = (columns: readonly string[]) => JSON.parse(JSON.stringify(Object.fromEntries(columns.map((c) => [c, null])))) as VersionRow;
const VERSION_KEYS = ['tenant_id', 'id', 'deleted', 'event_id', 'event_type', 'seq', 'valid_from', 'recorded_at'];
const versionBlank = (type: EntityType) => blank([...VERSION_KEYS, ...ENTITY_COLUMNS[type].map((c) => c.name)]);
const currentBlank = (type: EntityType) =>
  blank([...VERSION_KEYS, ...ENTITY_COLUMNS[type].map((c) => c.name), ...(ENRICHMENT_COLUMNS[type] ?? []).map((c) => c.name)]);
const BUILDING = versionBlank('building');
const FLOOR = versionBlank('floor');
const DESK = versionBlank('desk');
const ROOM = versionBlank('room');
const TEAM = versionBlank('team');
const MEMBER = versionBlank('member');
const DESK_BOOKING = versionBlank('desk_booking');
const ROOM_BOOKING = versionBlank('room_booking');
const VISIT = versionBlank('visit');
const DESK_BOOKING_CURRENT = currentBlank('desk_booking');
const ROOM_BOOKING_CURRENT = currentBlank('room_booking');
const VISIT_CURRENT = currentBlank('visit');

function blankRow(type: EntityType, withEnrichment: boolean): VersionRow {
  switch (type) {
    case 'building':
      return { ...BUILDING };
    case 'floor':
      return { ...FLOOR };
    case 'desk':
      return { ...DESK };
    case 'room':
      return { ...ROOM };
    case 'team':
      return { ...TEAM };
    case 'member':
      return { ...MEMBER };
    case 'desk_booking':
      return withEnrichment ? { ...DESK_BOOKING_CURRENT } : { ...DESK_BOOKING };
    case 'room_booking':
      return withEnrichment ? { ...ROOM_BOOKING_CURRENT } : { ...ROOM_BOOKING };
    case 'visit':
      return withEnrichment ? { ...VISIT_CURRENT } : { ...VISIT };
  }
}

/**
 * The row a validated event writes. A tombstone keeps only the keys and NULLs every
 * entity column, so the current row is exactly the latest version whatever order the
 * events arrived in.
 *
 * With `enrichment`, the row also carries the enrichment columns of the entity's current
 * table (those given; the others NULL). The ingest sends that one row to both tables:
 * the statements take only their own table's columns (param.structArray), so the
 * enrichment never reaches the history table.
 */
export function versionRow(event: DomainEvent, recordedAt: Date | string, enrichment?: Readonly<Record<string, unknown>>): VersionRow {
  const row = fillVersionRow(blankRow(event.entityType, enrichment !== undefined), event, recordedAt);
  if (enrichment !== undefined) for (const column in enrichment) row[column] = enrichment[column];
  return row;
}

function fillVersionRow(row: VersionRow, event: DomainEvent, recordedAt: Date | string): VersionRow {
  row.tenant_id = event.tenantId;
  row.id = event.entityId;
  row.deleted = event.tombstone;
  row.event_id = event.id;
  row.event_type = event.type;
  row.seq = event.seq;
  row.valid_from = event.time;
  row.recorded_at = typeof recordedAt === 'string' ? recordedAt : recordedAt.toISOString();
  // A tombstone's entity columns stay as the blank row has them: null.
  if (event.tombstone) return row;
  const data = event.data as unknown as Record<string, unknown>;
  // An index loop over two arrays rather than destructuring a [column, field] pair per column.
  const columns = COLUMNS_OF[event.entityType];
  const fields = FIELDS_OF[event.entityType];
  for (let i = 0; i < columns.length; i++) {
    const value = data[fields[i] as string];
    row[columns[i] as string] = value === undefined ? null : value;
  }
  return row;
}

/** Where a message was read from Kafka. */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string;
}

export type RawEventRow = Record<string, unknown> & { tenant_id: string; event_id: string };

/** The `events_raw` row of an event: the envelope as received and its path through Phoenix. */
export function rawEventRow(
  event: DomainEvent,
  meta: {
    payload: string;
    position: KafkaPosition;
    traceId: string | null;
    receivedAt: string;
    recordedAt: string;
    outcome: 'applied' | 'superseded';
  },
): RawEventRow {
  return {
    tenant_id: event.tenantId,
    event_id: event.id,
    event_type: event.type,
    entity_type: event.entityType,
    entity_id: event.entityId,
    event_time: event.time,
    seq: event.seq,
    source: event.source,
    subject: event.subject,
    payload: meta.payload,
    topic: meta.position.topic,
    kafka_partition: meta.position.partition,
    kafka_offset: Number(meta.position.offset),
    trace_id: meta.traceId,
    received_at: meta.receivedAt,
    recorded_at: meta.recordedAt,
    outcome: meta.outcome,
  };
}

export type DeadLetterRow = Record<string, unknown> & { dead_letter_id: string };

/** The `dead_letters` row of a rejected message: the original bytes and every problem. */
export function deadLetterRow(input: {
  deadLetterId: string;
  problems: readonly ValidationProblem[];
  partial: { tenantId?: string; eventId?: string; type?: string };
  value: Buffer | null;
  key: Buffer | null;
  headers: Record<string, string>;
  position: KafkaPosition;
  receivedAt: string;
}): DeadLetterRow {
  return {
    dead_letter_id: input.deadLetterId,
    tenant_id: input.partial.tenantId ?? null,
    event_id: input.partial.eventId ?? null,
    event_type: input.partial.type ?? null,
    reason_code: input.problems[0]?.code ?? 'UNKNOWN',
    problems: JSON.stringify(input.problems),
    payload: input.value ?? Buffer.alloc(0),
    message_key: input.key,
    headers: JSON.stringify(input.headers),
    topic: input.position.topic,
    kafka_partition: input.position.partition,
    kafka_offset: Number(input.position.offset),
    received_at: input.receivedAt,
    redriven_at: null,
  };
}
