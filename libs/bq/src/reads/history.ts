/**
 * Read statements over the bitemporal history, the raw events and the dead letters
 * (the audit subgraph's warehouse access).
 *
 * Every statement is scoped to one tenant (`tenant_id = @tenant`) and takes values only
 * as named parameters. Entity lookups take a whole DataLoader batch of ids at once
 * (`id IN UNNEST(@ids)`), so one query serves every entity of a type at one request level.
 *
 * Version order is the domain's (compareEventOrder): valid_from, then seq with NULL
 * before any value (seq is never negative), then event_id. In SQL that is
 * `valid_from, IFNULL(seq, -1), event_id`, as in upsertCurrentStatement.
 *
 * Keyset cursors carry timestamps as the ISO strings rows come back with (millisecond
 * precision). That is exact because Phoenix writes valid_from and recorded_at with
 * millisecond precision (versionRow, rawEventRow, deadLetterRow take JavaScript times).
 */
import { ENTITY_TYPES, type EntityType } from '@phoenix/domain';
import type { Row, Warehouse } from '../client';
import type { VersionRow } from '../rows';
import {
  currentTableName,
  DEAD_LETTERS_TABLE,
  historyTableName,
  INGEST_WRITES_TABLE,
  RAW_EVENTS_TABLE,
  WAREHOUSE_TABLES,
  WRITE_INTENT_EXPIRY_MS,
} from '../schema/tables';
import { ident, join, keyword, param, sql, type SqlFragment, type Statement } from '../sql';

/** The largest page any statement here returns (history pages fetch one more row to tell hasNextPage). */
export const AUDIT_MAX_PAGE_SIZE = 1000;

// ---------------------------------------------------------------------------------------
// Row types: what Warehouse.query returns for each statement (timestamps as ISO strings).

/** One version of an entity from its history table, with the end of its validity in the slice that was read. */
export interface HistoryVersionRow extends VersionRow {
  /** The valid_from of the next version of the same entity as known at the query's system time; NULL for the latest. */
  valid_to: string | null;
}

/** One row of the change feed: a version recorded in the window, without the entity columns. */
export interface ChangeRow extends Row {
  entity_type: EntityType;
  id: string;
  event_id: string;
  event_type: string;
  deleted: boolean;
  seq: number | null;
  valid_from: string;
  recorded_at: string;
}

/** An `events_raw` row without its payload (the envelope may hold personal data). */
export interface EventTraceRow extends Row {
  tenant_id: string;
  event_id: string;
  event_type: string;
  entity_type: string;
  entity_id: string;
  event_time: string;
  seq: number | null;
  source: string;
  subject: string | null;
  topic: string | null;
  kafka_partition: number | null;
  kafka_offset: number | null;
  trace_id: string | null;
  received_at: string;
  recorded_at: string;
  outcome: string | null;
}

/** A `dead_letters` row without the original message bytes. */
export interface DeadLetterSummaryRow extends Row {
  dead_letter_id: string;
  tenant_id: string | null;
  event_id: string | null;
  event_type: string | null;
  reason_code: string;
  /** JSON text: [{ code, path, message }]. */
  problems: string;
  message_key: Buffer | null;
  /** JSON text of the Kafka headers. */
  headers: string | null;
  topic: string;
  kafka_partition: number;
  kafka_offset: number;
  received_at: string;
  redriven_at: string | null;
}

/** A whole `dead_letters` row, with the original message bytes. */
export interface DeadLetterRecordRow extends DeadLetterSummaryRow {
  payload: Buffer;
}

/** The version key of an entity's current row, to tell whether a recorded event is still current. */
export interface CurrentVersionRow extends Row {
  tenant_id: string;
  id: string;
  event_id: string;
  valid_from: string;
  seq: number | null;
  deleted: boolean;
}

// ---------------------------------------------------------------------------------------
// Cursors.

/** Position in an entity's version order; a history page continues strictly after it. */
export interface VersionKey {
  validFrom: string;
  seq: number | null;
  eventId: string;
}

/** Position in the change feed's order (recorded_at, entity_type, id, event_id). */
export interface ChangeKey {
  recordedAt: string;
  entityType: EntityType;
  id: string;
  eventId: string;
}

/** Position in the dead-letter list's order (received_at DESC, dead_letter_id DESC). */
export interface DeadLetterKey {
  receivedAt: string;
  deadLetterId: string;
}

/** The cursor of a history row: pass it as `after` to continue after this version. */
export function versionKeyOf(row: Pick<VersionRow, 'valid_from' | 'seq' | 'event_id'>): VersionKey {
  return { validFrom: row.valid_from, seq: row.seq, eventId: row.event_id };
}

/** The cursor of a change-feed row. */
export function changeKeyOf(row: Pick<ChangeRow, 'recorded_at' | 'entity_type' | 'id' | 'event_id'>): ChangeKey {
  return { recordedAt: row.recorded_at, entityType: row.entity_type, id: row.id, eventId: row.event_id };
}

/** The cursor of a dead-letter row. */
export function deadLetterKeyOf(row: Pick<DeadLetterSummaryRow, 'received_at' | 'dead_letter_id'>): DeadLetterKey {
  return { receivedAt: row.received_at, deadLetterId: row.dead_letter_id };
}

// ---------------------------------------------------------------------------------------
// Statements.

export interface EntityHistoryArgs {
  tenantId: string;
  ids: readonly string[];
  /** System time to read as of; null = everything recorded so far. */
  knownAt: Date | null;
  /** Page size per id (1..1000); up to first + 1 rows per id come back so the caller can tell hasNextPage. */
  first: number;
  /** Continue strictly after this version (the same key for every id of the batch); null = from the first version. */
  after: VersionKey | null;
}

/**
 * Each entity's versions as known at `knownAt`, in version order, with `valid_to`, paged
 * per id. Rows: HistoryVersionRow, ordered by id then version order.
 */
export function entityHistoryQuery(warehouse: Warehouse, entityType: EntityType, args: EntityHistoryArgs): Statement {
  const type = requireEntityType(entityType);
  const first = requirePageSize('first', args.first);
  const knownAt = args.knownAt === null ? null : requireDate('knownAt', args.knownAt);
  const after = args.after;
  // valid_to comes from the whole known-at slice (the CTE); the cursor and the per-id limit
  // apply only outside it, so the last row of a page still sees its successor on the next page.
  return {
    sql: sql`WITH known AS (${knownSlice(warehouse, type, knownAt !== null)})
SELECT * FROM known
WHERE ${after ? AFTER_VERSION : sql`TRUE`}
QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY ${VERSION_ORDER}) <= @perId
ORDER BY id, ${VERSION_ORDER}`,
    params: {
      tenant: param.string(requireTenant(args.tenantId)),
      ids: param.array('STRING', requireList('ids', args.ids)),
      perId: param.int(first + 1),
      ...(knownAt ? { knownAt: param.timestamp(knownAt) } : {}),
      ...(after
        ? {
            afterValidFrom: param.timestamp(after.validFrom),
            afterSeq: param.int(after.seq ?? -1),
            afterEventId: param.string(after.eventId),
          }
        : {}),
    },
  };
}

export interface AsOfArgs {
  tenantId: string;
  ids: readonly string[];
  /** Valid time: the moment in the world the state is asked for. */
  validAt: Date;
  /** System time: what Phoenix had recorded by then. */
  knownAt: Date;
}

/**
 * The state of each entity as of valid time `validAt` as known at system time `knownAt`:
 * the latest version (in version order) among those with valid_from <= validAt and
 * recorded_at <= knownAt, tombstones included (`deleted = true`: the entity did not exist).
 * Ids with no such version return no row. Rows: HistoryVersionRow (valid_to as known at knownAt), ordered by id.
 */
export function asOfQuery(warehouse: Warehouse, entityType: EntityType, args: AsOfArgs): Statement {
  const type = requireEntityType(entityType);
  return {
    sql: sql`WITH known AS (${knownSlice(warehouse, type, true)})
SELECT * FROM known
WHERE valid_from <= @validAt
QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY ${VERSION_ORDER_DESC}) = 1
ORDER BY id`,
    params: {
      tenant: param.string(requireTenant(args.tenantId)),
      ids: param.array('STRING', requireList('ids', args.ids)),
      validAt: param.timestamp(requireDate('validAt', args.validAt)),
      knownAt: param.timestamp(requireDate('knownAt', args.knownAt)),
    },
  };
}

export interface ChangesArgs {
  tenantId: string;
  entityTypes: readonly EntityType[];
  /** Exclusive lower bound of recorded_at. */
  since: Date;
  /**
   * Inclusive upper bound of recorded_at: the feed's watermark (feedWatermark), before
   * which no version can still appear, so a page once read never changes.
   */
  until: Date;
  after: ChangeKey | null;
  /** Page size, 1..1000. */
  limit: number;
}

/**
 * The change feed: versions of the given entity types recorded in (since, until], in
 * (recorded_at, entity_type, id, event_id) order, keyset-paged. Rows: ChangeRow.
 */
export function changesQuery(warehouse: Warehouse, args: ChangesArgs): Statement {
  const types = requireList('entityTypes', args.entityTypes).map(requireEntityType);
  const since = requireDate('since', args.since);
  const until = requireDate('until', args.until);
  if (since.getTime() > until.getTime()) throw new TypeError('changesQuery: since must not be after until');
  const limit = requirePageSize('limit', args.limit);
  const after = args.after;
  const branches = types.map(
    (type) => sql`SELECT ${entityTypeLiteral(type)} AS entity_type, id, event_id, event_type, deleted, seq, valid_from, recorded_at
  FROM ${warehouse.table(historyTableName(type))}
  WHERE tenant_id = @tenant AND recorded_at > @since AND recorded_at <= @until${after ? sql` AND recorded_at >= @afterRecordedAt` : sql``}`,
  );
  return {
    sql: sql`SELECT * FROM (
  ${join(branches, '\n  UNION ALL\n  ')}
) AS c
WHERE ${after ? AFTER_CHANGE : sql`TRUE`}
ORDER BY recorded_at, entity_type, id, event_id
LIMIT @maxRows`,
    params: {
      tenant: param.string(requireTenant(args.tenantId)),
      since: param.timestamp(since),
      until: param.timestamp(until),
      maxRows: param.int(limit),
      ...(after
        ? {
            afterRecordedAt: param.timestamp(after.recordedAt),
            afterEntityType: param.string(after.entityType),
            afterId: param.string(after.id),
            afterEventId: param.string(after.eventId),
          }
        : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------
// The change feed's watermark.

/** A row of the write log (INGEST_WRITES_TABLE) as openWritesQuery returns it. */
export interface WriteLogRow extends Row {
  /** `open`: an intent without a done of its own write; `cover`: a done of another write over the same offsets; `now`: the clock row. */
  role: 'open' | 'cover' | 'now';
  write_id: string | null;
  topic: string | null;
  kafka_partition: number | null;
  from_offset: number | null;
  to_offset: number | null;
  logged_at: string | null;
  /** The query's CURRENT_TIMESTAMP(), on every row. */
  now: string;
}

/**
 * What the change feed's watermark needs, in one small statement over the write log
 * since `since` (the caller passes now − a lookback above WRITE_INTENT_EXPIRY_MS): every
 * intent without a done of its own write (`open`), the done rows of other writes that
 * overlap their offsets (`cover`), and one `now` row, so the clock is the warehouse's.
 * Rows: WriteLogRow. The log is partitioned by `logged_at`, so this reads one or two days.
 */
export function openWritesQuery(warehouse: Warehouse, args: { since: Date }): Statement {
  const log = warehouse.table(INGEST_WRITES_TABLE.name);
  return {
    sql: sql`WITH w AS (
  SELECT write_id, kind, topic, kafka_partition, from_offset, to_offset, logged_at FROM ${log} WHERE logged_at >= @since
),
open AS (
  SELECT i.* FROM w AS i
  WHERE i.kind = 'intent' AND NOT EXISTS (SELECT 1 FROM w AS d WHERE d.kind = 'done' AND d.write_id = i.write_id)
)
SELECT 'open' AS role, write_id, topic, kafka_partition, from_offset, to_offset, logged_at, CURRENT_TIMESTAMP() AS now FROM open
UNION ALL
SELECT 'cover' AS role, d.write_id, d.topic, d.kafka_partition, d.from_offset, d.to_offset, d.logged_at, CURRENT_TIMESTAMP() AS now FROM w AS d
WHERE d.kind = 'done' AND EXISTS (
  SELECT 1 FROM open AS o
  WHERE o.topic = d.topic AND o.kafka_partition = d.kafka_partition AND d.from_offset <= o.to_offset AND d.to_offset >= o.from_offset
)
UNION ALL
SELECT 'now' AS role, CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS INT64), CAST(NULL AS INT64), CAST(NULL AS INT64), CAST(NULL AS TIMESTAMP), CURRENT_TIMESTAMP() AS now`,
    params: { since: param.timestamp(requireDate('since', args.since)) },
  };
}

/** An intent that holds the watermark, or no longer does. */
export interface OpenWrite {
  writeId: string;
  topic: string;
  partition: number;
  fromOffset: number;
  toOffset: number;
  /** When the attempt began: no version it writes is recorded before this. */
  startedAt: string;
}

export interface FeedWatermark {
  /** Every version recorded at or before this is visible, and no version recorded at or before it can still appear. */
  watermark: Date;
  /** Intents that hold the watermark back (in flight, or of a writer that died before another rewrote their offsets). */
  holding: OpenWrite[];
  /** Intents older than the expiry, ignored: their writer died and nothing rewrote their offsets (a deleted topic, a reset group). */
  expired: OpenWrite[];
}

/**
 * The change feed's watermark from openWritesQuery's rows. A write appends its intent
 * (`at` = when it began) before it chooses its system time, and its done only after every
 * version it writes is committed; so while a write may still commit a version recorded
 * at R, its intent is open with `logged_at` <= R, and the watermark stays below R:
 *   watermark = min(now − clockSkewMs, min(logged_at of holding intents) − 1 ms).
 * An intent stops holding when
 *  - its own write appended done (then it is not in the rows), or
 *  - done rows of other writes together cover each of its offsets: those offsets were
 *    written in full by someone (a survivor after a crash, this writer's retry after a
 *    failure), and the dead or failed attempt's history rows are keyed by event id, so
 *    it can add none that are not there already; or
 *  - it is older than `expiryMs` (WRITE_INTENT_EXPIRY_MS): a writer gives up an attempt
 *    well before that (WRITE_ATTEMPT_MAX_MS).
 * `clockSkewMs` covers the difference between the ingest hosts' clocks (which choose
 * recorded_at) and the warehouse's (`now`).
 */
export function feedWatermark(rows: readonly WriteLogRow[], options: { clockSkewMs: number; expiryMs?: number }): FeedWatermark {
  const expiryMs = options.expiryMs ?? WRITE_INTENT_EXPIRY_MS;
  const nowRow = rows.find((r) => r.role === 'now') ?? rows[0];
  if (!nowRow) throw new Error('feedWatermark: the write-log query returned no rows (it always returns a now row)');
  const nowMs = Date.parse(nowRow.now);
  const asWrite = (r: WriteLogRow): OpenWrite => ({
    writeId: r.write_id as string,
    topic: r.topic as string,
    partition: Number(r.kafka_partition),
    fromOffset: Number(r.from_offset),
    toOffset: Number(r.to_offset),
    startedAt: r.logged_at as string,
  });
  const covers = new Map<string, OpenWrite[]>();
  for (const r of rows) {
    if (r.role !== 'cover') continue;
    const d = asWrite(r);
    const key = `${d.topic}\u0000${d.partition}`;
    covers.set(key, [...(covers.get(key) ?? []), d]);
  }
  const holding: OpenWrite[] = [];
  const expired: OpenWrite[] = [];
  let watermarkMs = nowMs - options.clockSkewMs;
  for (const r of rows) {
    if (r.role !== 'open') continue;
    const intent = asWrite(r);
    if (isCovered(intent, covers.get(`${intent.topic}\u0000${intent.partition}`) ?? [])) continue;
    const startedMs = Date.parse(intent.startedAt);
    if (nowMs - startedMs > expiryMs) {
      expired.push(intent);
      continue;
    }
    holding.push(intent);
    // Strictly before: a version recorded exactly at the intent's time may still come.
    watermarkMs = Math.min(watermarkMs, startedMs - 1);
  }
  return { watermark: new Date(watermarkMs), holding, expired };
}

/** True when the done runs together hold every offset of the intent (other writes' dones: its own would have closed it). */
function isCovered(intent: OpenWrite, dones: readonly OpenWrite[]): boolean {
  const candidates = dones.filter((d) => d.writeId !== intent.writeId).sort((a, b) => a.fromOffset - b.fromOffset);
  let next = intent.fromOffset;
  for (const d of candidates) {
    if (d.fromOffset > next) break;
    next = Math.max(next, d.toOffset + 1);
    if (next > intent.toOffset) return true;
  }
  return next > intent.toOffset;
}

export interface EventIdsArgs {
  tenantId: string;
  eventIds: readonly string[];
}

/** The `events_raw` rows of these events, without the payload. Rows: EventTraceRow, ordered by event_id. */
export function eventTraceQuery(warehouse: Warehouse, args: EventIdsArgs): Statement {
  return {
    sql: sql`SELECT ${columnList(RAW_EVENTS_TABLE.name, ['payload'])} FROM ${warehouse.table(RAW_EVENTS_TABLE.name)}
WHERE tenant_id = @tenant AND event_id IN UNNEST(@eventIds)
ORDER BY event_id`,
    params: {
      tenant: param.string(requireTenant(args.tenantId)),
      eventIds: param.array('STRING', requireList('eventIds', args.eventIds)),
    },
  };
}

/**
 * The dead letters filed under these event ids (a re-sent event can be dead-lettered more
 * than once), without the message bytes. Rows: DeadLetterSummaryRow, ordered by received_at, dead_letter_id.
 */
export function eventDeadLettersQuery(warehouse: Warehouse, args: EventIdsArgs): Statement {
  return {
    sql: sql`SELECT ${columnList(DEAD_LETTERS_TABLE.name, ['payload'])} FROM ${warehouse.table(DEAD_LETTERS_TABLE.name)}
WHERE tenant_id = @tenant AND event_id IN UNNEST(@eventIds)
ORDER BY received_at, dead_letter_id`,
    params: {
      tenant: param.string(requireTenant(args.tenantId)),
      eventIds: param.array('STRING', requireList('eventIds', args.eventIds)),
    },
  };
}

export interface CurrentVersionArgs {
  tenantId: string;
  ids: readonly string[];
}

/** The version key of each entity's current row (tombstones included). Rows: CurrentVersionRow, ordered by id. */
export function currentVersionQuery(warehouse: Warehouse, entityType: EntityType, args: CurrentVersionArgs): Statement {
  const type = requireEntityType(entityType);
  return {
    sql: sql`SELECT tenant_id, id, event_id, valid_from, seq, deleted FROM ${warehouse.table(currentTableName(type))}
WHERE tenant_id = @tenant AND id IN UNNEST(@ids)
ORDER BY id`,
    params: {
      tenant: param.string(requireTenant(args.tenantId)),
      ids: param.array('STRING', requireList('ids', args.ids)),
    },
  };
}

export interface DeadLettersArgs {
  /**
   * The tenant whose dead letters to list; null = the dead letters whose tenant could
   * not be read (an operator's view: the caller decides who may see them).
   */
  tenantId: string | null;
  /** Only these reason codes; null = any. */
  reasonCodes: readonly string[] | null;
  /** received_at >= from; null = no lower bound. */
  from: Date | null;
  /** received_at < to; null = no upper bound. */
  to: Date | null;
  after: DeadLetterKey | null;
  /** Page size, 1..1000. */
  limit: number;
}

/** Dead letters, newest first (received_at DESC, dead_letter_id DESC), keyset-paged, with the original bytes. Rows: DeadLetterRecordRow. */
export function deadLettersQuery(warehouse: Warehouse, args: DeadLettersArgs): Statement {
  const tenantId = args.tenantId === null ? null : requireTenant(args.tenantId);
  const reasonCodes = args.reasonCodes === null ? null : requireList('reasonCodes', args.reasonCodes);
  const from = args.from === null ? null : requireDate('from', args.from);
  const to = args.to === null ? null : requireDate('to', args.to);
  if (from && to && from.getTime() > to.getTime()) throw new TypeError('deadLettersQuery: from must not be after to');
  const limit = requirePageSize('limit', args.limit);
  const after = args.after;
  const conditions: SqlFragment[] = [
    // Dead letters without a readable tenant are a separate list, never mixed into a tenant's.
    tenantId === null ? sql`tenant_id IS NULL` : sql`tenant_id = @tenant`,
    ...(reasonCodes ? [sql`reason_code IN UNNEST(@reasonCodes)`] : []),
    ...(from ? [sql`received_at >= @receivedFrom`] : []),
    ...(to ? [sql`received_at < @receivedTo`] : []),
    ...(after ? [sql`(received_at < @afterReceivedAt OR (received_at = @afterReceivedAt AND dead_letter_id < @afterDeadLetterId))`] : []),
  ];
  return {
    sql: sql`SELECT ${columnList(DEAD_LETTERS_TABLE.name, [])} FROM ${warehouse.table(DEAD_LETTERS_TABLE.name)}
WHERE ${join(conditions, '\n  AND ')}
ORDER BY received_at DESC, dead_letter_id DESC
LIMIT @maxRows`,
    params: {
      ...(tenantId === null ? {} : { tenant: param.string(tenantId) }),
      ...(reasonCodes ? { reasonCodes: param.array('STRING', reasonCodes) } : {}),
      ...(from ? { receivedFrom: param.timestamp(from) } : {}),
      ...(to ? { receivedTo: param.timestamp(to) } : {}),
      ...(after ? { afterReceivedAt: param.timestamp(after.receivedAt), afterDeadLetterId: param.string(after.deadLetterId) } : {}),
      maxRows: param.int(limit),
    },
  };
}

// ---------------------------------------------------------------------------------------
// Building blocks.

const VERSION_ORDER = sql`valid_from, IFNULL(seq, -1), event_id`;
const VERSION_ORDER_DESC = sql`valid_from DESC, IFNULL(seq, -1) DESC, event_id DESC`;

/** Strictly after (@afterValidFrom, @afterSeq, @afterEventId) in version order; @afterSeq is already IFNULL'd. */
const AFTER_VERSION = sql`(valid_from > @afterValidFrom
  OR (valid_from = @afterValidFrom AND IFNULL(seq, -1) > @afterSeq)
  OR (valid_from = @afterValidFrom AND IFNULL(seq, -1) = @afterSeq AND event_id > @afterEventId))`;

const AFTER_CHANGE = sql`(recorded_at > @afterRecordedAt
  OR (recorded_at = @afterRecordedAt AND entity_type > @afterEntityType)
  OR (recorded_at = @afterRecordedAt AND entity_type = @afterEntityType AND id > @afterId)
  OR (recorded_at = @afterRecordedAt AND entity_type = @afterEntityType AND id = @afterId AND event_id > @afterEventId))`;

/**
 * The history rows of the batch's ids as known at @knownAt (or all of them), each with
 * valid_to = the next version's valid_from within that same slice.
 */
function knownSlice(warehouse: Warehouse, entityType: EntityType, asKnownAt: boolean): SqlFragment {
  const table = historyTableName(entityType);
  return sql`
  SELECT ${columnList(table, [])},
    LEAD(valid_from) OVER (PARTITION BY id ORDER BY ${VERSION_ORDER}) AS valid_to
  FROM ${warehouse.table(table)}
  WHERE tenant_id = @tenant AND id IN UNNEST(@ids)${asKnownAt ? sql` AND recorded_at <= @knownAt` : sql``}
`;
}

/** The declared columns of a table, minus some: explicit lists keep row shapes equal to the row types. */
function columnList(tableName: string, except: readonly string[]): SqlFragment {
  const table = WAREHOUSE_TABLES.find((t) => t.name === tableName);
  if (!table) throw new Error(`no table spec named ${tableName}`);
  return join(table.columns.filter((c) => !except.includes(c.name)).map((c) => ident(c.name)));
}

// A string literal from the fixed entity-type list (never input), so each UNION ALL branch
// can say which table it read without a parameter per branch.
const ENTITY_TYPE_LITERALS: readonly string[] = ENTITY_TYPES.map((t) => `'${t}'`);
const entityTypeLiteral = (type: EntityType) => keyword(`'${type}'`, ENTITY_TYPE_LITERALS);

// ---------------------------------------------------------------------------------------
// Argument checks. User input (GraphQL arguments, cursors) is validated where it enters, in
// the subgraph, with coded errors; cursor keys arrive here typed and are used as given.
// What stays guards against programming errors whose cost would be a leak or a silent
// wrong answer rather than a failed query: a missing tenant (rows of every tenant), an
// entity type that is not one (it is spliced into the SQL as a table name and literal),
// an empty id list or a page size outside the bounds (a query that means nothing, or
// scans without limit), an Invalid Date (a NULL bound that matches nothing).

function requireTenant(tenantId: unknown): string {
  if (typeof tenantId !== 'string' || tenantId === '') throw new TypeError('tenantId must be a non-empty string');
  return tenantId;
}

function requireEntityType(value: unknown): EntityType {
  if (typeof value !== 'string' || !(ENTITY_TYPES as readonly string[]).includes(value)) {
    throw new TypeError(`not an entity type: ${JSON.stringify(value)} (expected one of ${ENTITY_TYPES.join(', ')})`);
  }
  return value as EntityType;
}

/** A non-empty list of non-empty strings, without duplicates. */
function requireList<T extends string>(name: string, values: readonly T[]): T[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new TypeError(`${name} must be a non-empty array (with nothing to look up, do not run the query)`);
  }
  for (const v of values) {
    if (typeof v !== 'string' || v === '') throw new TypeError(`${name} must contain only non-empty strings`);
  }
  return [...new Set(values)];
}

function requirePageSize(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > AUDIT_MAX_PAGE_SIZE) {
    throw new TypeError(`${name} must be an integer from 1 to ${AUDIT_MAX_PAGE_SIZE}, got ${String(value)}`);
  }
  return value;
}

function requireDate(name: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${name} must be a valid Date`);
  return value;
}
