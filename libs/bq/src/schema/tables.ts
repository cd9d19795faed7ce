import { ENTITY_TYPES, type EntityType } from '@phoenix/domain';
import { col, type ColumnSpec, type TableSpec } from './types';

/**
 * Entity state columns, one per field of the domain schema (camelCase → snake_case).
 * They are all NULLABLE in the warehouse: a tombstone row carries only the id, and
 * new fields must be addable to existing tables.
 */
export const ENTITY_COLUMNS: { readonly [K in EntityType]: readonly ColumnSpec[] } = {
  building: [
    col('name', 'STRING', 'Display name'),
    col('address', 'STRING', 'Street address'),
    col('city', 'STRING', 'City'),
    col('country_code', 'STRING', 'ISO 3166-1 alpha-2 country'),
    col('timezone', 'STRING', 'IANA time zone of the building'),
  ],
  floor: [
    col('building_id', 'STRING', 'Building the floor belongs to'),
    col('name', 'STRING', 'Display name'),
    col('level', 'INT64', 'Floor number; negative below ground'),
  ],
  desk: [
    col('floor_id', 'STRING', 'Floor the desk is on'),
    col('label', 'STRING', 'Desk label, e.g. 3.14'),
    col('features', 'STRING', 'Equipment, e.g. monitor, standing', 'REPEATED'),
    col('bookable', 'BOOL', 'Whether members can book it'),
  ],
  room: [
    col('floor_id', 'STRING', 'Floor the room is on'),
    col('name', 'STRING', 'Display name'),
    col('capacity', 'INT64', 'Seats'),
    col('features', 'STRING', 'Equipment, e.g. video, whiteboard', 'REPEATED'),
    col('bookable', 'BOOL', 'Whether members can book it'),
  ],
  team: [col('name', 'STRING', 'Display name'), col('cost_center', 'STRING', 'Finance cost center')],
  member: [
    col('team_id', 'STRING', 'Team, if any'),
    col('email', 'STRING', 'PERSONAL DATA: work email'),
    col('display_name', 'STRING', 'PERSONAL DATA: name'),
    col('role', 'STRING', 'employee, contractor or admin'),
    col('active', 'BOOL', 'False once the member has left'),
  ],
  desk_booking: [
    col('desk_id', 'STRING', 'Booked desk'),
    col('member_id', 'STRING', 'Member the desk is booked for'),
    col('date', 'DATE', "Local calendar day in the building's time zone"),
    col('start_time', 'TIMESTAMP', 'Start of the booking'),
    col('end_time', 'TIMESTAMP', 'End of the booking'),
    col('status', 'STRING', 'booked, checked_in, cancelled, no_show or completed'),
    col('checked_in_at', 'TIMESTAMP', 'When the member checked in'),
    col('cancelled_at', 'TIMESTAMP', 'When the booking was cancelled'),
  ],
  room_booking: [
    col('room_id', 'STRING', 'Booked room'),
    col('organizer_id', 'STRING', 'Member who organised the meeting'),
    col('title', 'STRING', 'Meeting title'),
    col('start_time', 'TIMESTAMP', 'Start of the booking'),
    col('end_time', 'TIMESTAMP', 'End of the booking'),
    col('attendee_count', 'INT64', 'Expected attendees'),
    col('status', 'STRING', 'booked, checked_in, cancelled, no_show or completed'),
    col('checked_in_at', 'TIMESTAMP', 'When the room was claimed'),
    col('cancelled_at', 'TIMESTAMP', 'When the booking was cancelled'),
  ],
  visit: [
    col('host_id', 'STRING', 'Member hosting the visitor'),
    col('building_id', 'STRING', 'Building visited'),
    col('visitor_name', 'STRING', 'PERSONAL DATA: visitor name'),
    col('visitor_email', 'STRING', 'PERSONAL DATA: visitor email'),
    col('visitor_company', 'STRING', "Visitor's company"),
    col('expected_at', 'TIMESTAMP', 'Expected arrival'),
    col('status', 'STRING', 'booked (expected), checked_in, cancelled, no_show or completed'),
    col('arrived_at', 'TIMESTAMP', 'Actual arrival'),
    col('departed_at', 'TIMESTAMP', 'Departure'),
  ],
};

/**
 * Reference data the ingest attaches to bookings and visits in their current tables
 * (StateFun's enrichment): where the desk or room is, and the member's team. History
 * rows stay exactly what the event said, so history never depends on arrival order.
 */
export const ENRICHMENT_COLUMNS: { readonly [K in EntityType]?: readonly ColumnSpec[] } = {
  desk_booking: [
    col('floor_id', 'STRING', 'Enrichment: floor of the desk'),
    col('floor_name', 'STRING', 'Enrichment: floor name'),
    col('building_id', 'STRING', 'Enrichment: building of the floor'),
    col('building_name', 'STRING', 'Enrichment: building name'),
    col('timezone', 'STRING', "Enrichment: the building's IANA time zone"),
    col('team_id', 'STRING', "Enrichment: the member's team"),
    col('team_name', 'STRING', 'Enrichment: team name'),
    col('enriched', 'BOOL', 'False while a referenced desk, floor, building, member or team has not arrived yet'),
  ],
  room_booking: [
    col('floor_id', 'STRING', 'Enrichment: floor of the room'),
    col('floor_name', 'STRING', 'Enrichment: floor name'),
    col('building_id', 'STRING', 'Enrichment: building of the floor'),
    col('building_name', 'STRING', 'Enrichment: building name'),
    col('timezone', 'STRING', "Enrichment: the building's IANA time zone"),
    col('team_id', 'STRING', "Enrichment: the organizer's team"),
    col('team_name', 'STRING', 'Enrichment: team name'),
    col('enriched', 'BOOL', 'False while a referenced room, floor, building, member or team has not arrived yet'),
  ],
  visit: [
    col('building_name', 'STRING', 'Enrichment: building name'),
    col('timezone', 'STRING', "Enrichment: the building's IANA time zone"),
    col('team_id', 'STRING', "Enrichment: the host's team"),
    col('team_name', 'STRING', 'Enrichment: team name'),
    col('enriched', 'BOOL', 'False while the referenced building, host or team has not arrived yet'),
  ],
};

/** Columns every version row carries, in both the current and the history table. */
const VERSION_COLUMNS: readonly ColumnSpec[] = [
  col('tenant_id', 'STRING', 'Tenant the row belongs to', 'REQUIRED'),
  col('id', 'STRING', 'Entity id', 'REQUIRED'),
  col('deleted', 'BOOL', 'True when this version is a tombstone (entity columns are then NULL)', 'REQUIRED'),
  col('event_id', 'STRING', 'CloudEvents id of the event that produced this version', 'REQUIRED'),
  col('event_type', 'STRING', 'Event type, e.g. phoenix.desk_booking.checked_in', 'REQUIRED'),
  col('seq', 'INT64', 'Per-entity sequence from the producer, if it sent one'),
  col('valid_from', 'TIMESTAMP', 'Valid time: when the change happened in the world (event time)', 'REQUIRED'),
  col('recorded_at', 'TIMESTAMP', 'System time: when Phoenix recorded this version', 'REQUIRED'),
];

/** Where each current-state table is partitioned: by the day that queries filter on. */
const CURRENT_PARTITION: { readonly [K in EntityType]: string } = {
  building: 'valid_from',
  floor: 'valid_from',
  desk: 'valid_from',
  room: 'valid_from',
  team: 'valid_from',
  member: 'valid_from',
  desk_booking: 'start_time',
  room_booking: 'start_time',
  visit: 'expected_at',
};

/** Every table Phoenix manages is looked up by name through these. */
export const currentTableName = (entityType: EntityType) => `${entityType}_current`;
export const historyTableName = (entityType: EntityType) => `${entityType}_history`;

function currentTable(entityType: EntityType): TableSpec {
  return {
    name: currentTableName(entityType),
    description: `Current state of every ${entityType}: one row per (tenant_id, id), the latest version by (valid_from, seq, event_id).`,
    columns: [...VERSION_COLUMNS, ...ENTITY_COLUMNS[entityType], ...(ENRICHMENT_COLUMNS[entityType] ?? [])],
    partitionBy: CURRENT_PARTITION[entityType],
    clusterBy: ['tenant_id', 'id'],
  };
}

function historyTable(entityType: EntityType): TableSpec {
  return {
    name: historyTableName(entityType),
    description:
      `Bitemporal history of every ${entityType}: one immutable row per distinct event. ` +
      'State as of valid time V as known at system time S = the latest row by (valid_from, seq, event_id) ' +
      'among rows with valid_from <= V and recorded_at <= S.',
    columns: [...VERSION_COLUMNS, ...ENTITY_COLUMNS[entityType]],
    // Change feeds and "as known at" queries filter on system time.
    partitionBy: 'recorded_at',
    clusterBy: ['tenant_id', 'id'],
  };
}

export const RAW_EVENTS_TABLE: TableSpec = {
  name: 'events_raw',
  description: 'Every distinct valid event exactly once, with its original envelope and where it came from.',
  columns: [
    col('tenant_id', 'STRING', 'Tenant', 'REQUIRED'),
    col('event_id', 'STRING', 'CloudEvents id', 'REQUIRED'),
    col('event_type', 'STRING', 'CloudEvents type', 'REQUIRED'),
    col('entity_type', 'STRING', 'Entity type, e.g. desk_booking', 'REQUIRED'),
    col('entity_id', 'STRING', 'Entity id', 'REQUIRED'),
    col('event_time', 'TIMESTAMP', 'CloudEvents time (valid time)', 'REQUIRED'),
    col('seq', 'INT64', 'Per-entity sequence, if sent'),
    col('source', 'STRING', 'CloudEvents source', 'REQUIRED'),
    col('subject', 'STRING', 'CloudEvents subject'),
    col('payload', 'STRING', 'The envelope as received, JSON text (may hold personal data); query with JSON_VALUE', 'REQUIRED'),
    col('topic', 'STRING', 'Kafka topic it was first read from'),
    col('kafka_partition', 'INT64', 'Kafka partition'),
    col('kafka_offset', 'INT64', 'Kafka offset'),
    col('trace_id', 'STRING', 'W3C trace id from the traceparent header'),
    col('received_at', 'TIMESTAMP', 'When the ingest read it', 'REQUIRED'),
    col('recorded_at', 'TIMESTAMP', 'When Phoenix recorded it (system time)', 'REQUIRED'),
    col(
      'outcome',
      'STRING',
      'applied (newer than every version of its entity that arrived before it) or superseded (older than one that arrived before it)',
    ),
  ],
  partitionBy: 'recorded_at',
  clusterBy: ['tenant_id', 'event_id'],
};

export const DEAD_LETTERS_TABLE: TableSpec = {
  name: 'dead_letters',
  description: 'Messages that could not be applied, with the original bytes and why, for inspection and re-drive.',
  columns: [
    col('dead_letter_id', 'STRING', 'Unique id of this dead letter (topic/partition/offset)', 'REQUIRED'),
    col('tenant_id', 'STRING', 'Tenant, when it could be read'),
    col('event_id', 'STRING', 'CloudEvents id, when it could be read'),
    col('event_type', 'STRING', 'CloudEvents type, when it could be read'),
    col('reason_code', 'STRING', 'First problem code, e.g. MISSING_TENANT', 'REQUIRED'),
    col('problems', 'STRING', 'Every problem found, JSON text: [{code, path, message}]', 'REQUIRED'),
    col('payload', 'BYTES', 'The original message bytes', 'REQUIRED'),
    col('message_key', 'BYTES', 'The original Kafka key'),
    col('headers', 'STRING', 'The original Kafka headers, JSON text'),
    col('topic', 'STRING', 'Kafka topic', 'REQUIRED'),
    col('kafka_partition', 'INT64', 'Kafka partition', 'REQUIRED'),
    col('kafka_offset', 'INT64', 'Kafka offset', 'REQUIRED'),
    col('received_at', 'TIMESTAMP', 'When the ingest read it', 'REQUIRED'),
    col('redriven_at', 'TIMESTAMP', 'When it was re-driven, if it was'),
  ],
  partitionBy: 'received_at',
  clusterBy: ['tenant_id', 'reason_code'],
};

/** Every table Phoenix manages, in creation order. */
/**
 * The ingest's staging table: each batch's rows are appended here in one Storage Write
 * API request (at least once), then MERGEd into events_raw and the entity tables by
 * `batch_id`. One row per new event carries everything its three target rows need:
 * the events_raw columns, and the version columns of its entity type (the union over
 * all types, so one table serves every type; the other types' columns stay NULL).
 * Rows are removed by the writer's housekeeping once older than the staging retention.
 */
export const STAGE_TABLE: TableSpec = {
  name: 'ingest_stage',
  description: 'Ingest staging: rows of in-flight batches, read back by batch_id; deleted after the staging retention.',
  columns: stageColumns(),
  partitionBy: 'staged_at',
  // A safety net behind the writer's housekeeping (2 h): staged rows of a deployment that
  // stopped are gone after this. A day partition lives 2-3 days, far beyond any write.
  partitionExpirationDays: 3,
  clusterBy: ['batch_id'],
};

function stageColumns(): ColumnSpec[] {
  const columns: ColumnSpec[] = [
    col('batch_id', 'STRING', 'The write attempt that staged the row'),
    col('staged_at', 'TIMESTAMP', 'When it was staged (housekeeping deletes old rows)'),
    col('to_current', 'BOOL', 'True when the version becomes the current row (classified applied)'),
  ];
  const byName = new Map(columns.map((c) => [c.name, c]));
  const add = (c: ColumnSpec) => {
    const seen = byName.get(c.name);
    if (seen && (seen.type !== c.type || (seen.mode === 'REPEATED') !== (c.mode === 'REPEATED')))
      throw new Error(`staging table: column ${c.name} is ${c.type} in one table and ${seen.type} in another`);
    if (seen) return;
    // Staged rows are checked by the target tables' MERGEs; every staging column is NULLABLE.
    const staged = { ...c, mode: c.mode === 'REPEATED' ? 'REPEATED' : 'NULLABLE' } as const;
    byName.set(c.name, staged);
    columns.push(staged);
  };
  RAW_EVENTS_TABLE.columns.forEach(add);
  for (const entityType of ENTITY_TYPES) currentTable(entityType).columns.forEach(add);
  return columns;
}

/**
 * The ingest's write log, for the change feed's watermark: each write attempt appends an
 * `intent` row per run of consecutive Kafka offsets it holds (topic, partition) before it
 * chooses its system time, and a `done` row per run once every row it writes is
 * committed. An intent without a `done` of its own write, and whose offsets are not all
 * covered by `done` rows of other writes, is a write that may still commit versions;
 * the feed serves nothing recorded at or after its `logged_at`. Appended with the Storage Write
 * API (two small appends per write, no DML); rows are only needed for
 * WRITE_INTENT_EXPIRY_MS, and BigQuery drops a partition after 3 days.
 */
export const INGEST_WRITES_TABLE: TableSpec = {
  name: 'ingest_writes',
  description: 'Ingest write log: intent and done marks per Kafka offset run, read by the change feed watermark; kept 3 days.',
  columns: [
    col('write_id', 'STRING', 'The write attempt'),
    col('kind', 'STRING', 'intent (the attempt began; written before it chose its system time) or done (every row it wrote is committed)'),
    col('topic', 'STRING', 'Kafka topic of the run'),
    col('kafka_partition', 'INT64', 'Kafka partition of the run'),
    col('from_offset', 'INT64', 'First Kafka offset of the run'),
    col('to_offset', 'INT64', 'Last Kafka offset of the run (inclusive)'),
    col(
      'logged_at',
      'TIMESTAMP',
      'intent: when the attempt began (no earlier than any recorded_at it writes is chosen); done: when it ended',
    ),
  ],
  partitionBy: 'logged_at',
  partitionExpirationDays: 3,
  clusterBy: ['kind', 'topic', 'kafka_partition'],
};

/**
 * How long an open intent holds the change feed's watermark back. A write attempt that
 * is still running after WRITE_ATTEMPT_MAX_MS starts over (the ingest checks before each
 * history MERGE), and one statement runs for at most the query timeout after that, so no
 * version of an expired intent can commit later; an intent that never gets a `done`
 * (its topic deleted, its group reset) stops holding the feed after this.
 */
export const WRITE_INTENT_EXPIRY_MS = 15 * 60_000;
/** The longest a write attempt may take before it starts over with a new intent (see WRITE_INTENT_EXPIRY_MS). */
export const WRITE_ATTEMPT_MAX_MS = 10 * 60_000;

export const WAREHOUSE_TABLES: readonly TableSpec[] = [
  RAW_EVENTS_TABLE,
  DEAD_LETTERS_TABLE,
  STAGE_TABLE,
  INGEST_WRITES_TABLE,
  ...ENTITY_TYPES.flatMap((entityType) => [currentTable(entityType), historyTable(entityType)]),
];
