import { compareEventOrder, type EntityType } from '@phoenix/domain';
import type { Row, Warehouse } from './client';
import type { DeadLetterRow, RawEventRow, VersionRow } from './rows';
import { currentTableName, DEAD_LETTERS_TABLE, historyTableName, RAW_EVENTS_TABLE, STAGE_TABLE, WAREHOUSE_TABLES } from './schema/tables';
import type { ColumnSpec, TableSpec } from './schema/types';
import { ident, join, param, paramRef, sql, type Param, type ScalarType, type SqlFragment, type Statement } from './sql';

type StructType = { [field: string]: ScalarType | [ScalarType] };

const SPECS = new Map(WAREHOUSE_TABLES.map((t) => [t.name, t]));
function spec(name: string): TableSpec {
  const found = SPECS.get(name);
  if (!found) throw new Error(`no table spec named ${name}`);
  return found;
}

/** The STRUCT type of a table's rows, for ARRAY<STRUCT> parameters. */
function structOf(columns: readonly ColumnSpec[]): StructType {
  return Object.fromEntries(columns.map((c) => [c.name, c.mode === 'REPEATED' ? [c.type] : c.type]));
}

/** `INSERT (cols) VALUES (S.cols)` for a MERGE whose source is aliased S. */
function insertAll(columns: readonly ColumnSpec[]): SqlFragment {
  const names = columns.map((c) => ident(c.name));
  return sql`INSERT (${join(names)}) VALUES (${join(names.map((c) => sql`S.${c}`))})`;
}

/** True when version `a` supersedes version `b`: the domain's one version order, on warehouse rows. */
export function isNewerVersion(
  a: Pick<VersionRow, 'valid_from' | 'seq' | 'event_id'>,
  b: Pick<VersionRow, 'valid_from' | 'seq' | 'event_id'>,
): boolean {
  const key = (v: Pick<VersionRow, 'valid_from' | 'seq' | 'event_id'>) => ({
    timeMs: Date.parse(v.valid_from),
    seq: v.seq,
    id: v.event_id,
  });
  return compareEventOrder(key(a), key(b)) > 0;
}

/** Keeps the newest version per (tenant_id, id): a MERGE source may match each target row once. */
export function latestPerEntity<T extends VersionRow>(rows: readonly T[]): T[] {
  const latest = new Map<string, T>();
  for (const row of rows) {
    const key = `${row.tenant_id}\u0000${row.id}`;
    const seen = latest.get(key);
    if (!seen || isNewerVersion(row, seen)) latest.set(key, row);
  }
  return [...latest.values()];
}

/** The source row S is a newer version than the target row T: valid_from, then seq, then event_id. */
const NEWER = sql`(S.valid_from > T.valid_from
      OR (S.valid_from = T.valid_from AND IFNULL(S.seq, -1) > IFNULL(T.seq, -1))
      OR (S.valid_from = T.valid_from AND IFNULL(S.seq, -1) = IFNULL(T.seq, -1) AND S.event_id > T.event_id))`;

/** `col = S.col` for every column but the key. */
function updatesOf(table: TableSpec): SqlFragment {
  return join(
    table.columns.filter((c) => c.name !== 'tenant_id' && c.name !== 'id').map((c) => sql`${ident(c.name)} = S.${ident(c.name)}`),
  );
}

/**
 * MERGE into `<entity>_current`: insert unknown entities, replace a row only with a
 * newer version (valid_from, then seq, then event_id — last writer wins). Applying the
 * same rows again, or older ones, changes nothing, so the write is idempotent and
 * order-insensitive.
 */
export function upsertCurrentStatement(warehouse: Warehouse, entityType: EntityType, rows: readonly VersionRow[]): Statement {
  const table = spec(currentTableName(entityType));
  const updates = updatesOf(table);
  const newer = NEWER;
  return {
    sql: sql`MERGE ${warehouse.table(table.name)} AS T
USING (SELECT r.* FROM UNNEST(@rows) AS r) AS S
ON T.tenant_id = S.tenant_id AND T.id = S.id
WHEN MATCHED AND ${newer} THEN UPDATE SET ${updates}
WHEN NOT MATCHED THEN ${insertAll(table.columns)}`,
    params: { rows: param.structArray(structOf(table.columns), latestPerEntity(rows)) },
  };
}

/**
 * MERGE into `<entity>_history`: append each version once, keyed by event id, so the
 * history is an immutable log of what was known when (recorded_at) about when (valid_from).
 */
export function appendHistoryStatement(warehouse: Warehouse, entityType: EntityType, rows: readonly VersionRow[]): Statement {
  const table = spec(historyTableName(entityType));
  const unique = new Map(rows.map((r) => [`${r.tenant_id}\u0000${r.event_id}`, r]));
  return {
    sql: sql`MERGE ${warehouse.table(table.name)} AS H
USING (SELECT r.* FROM UNNEST(@rows) AS r) AS S
ON H.tenant_id = S.tenant_id AND H.id = S.id AND H.event_id = S.event_id
WHEN NOT MATCHED THEN ${insertAll(table.columns)}`,
    params: { rows: param.structArray(structOf(table.columns), [...unique.values()]) },
  };
}

/** MERGE into `events_raw`: each event once per tenant, first write wins. */
export function insertRawEventsStatement(warehouse: Warehouse, rows: readonly RawEventRow[]): Statement {
  const unique = new Map(rows.map((r) => [`${r.tenant_id}\u0000${r.event_id}`, r]));
  return {
    sql: sql`MERGE ${warehouse.table(RAW_EVENTS_TABLE.name)} AS T
USING (SELECT r.* FROM UNNEST(@rows) AS r) AS S
ON T.tenant_id = S.tenant_id AND T.event_id = S.event_id
WHEN NOT MATCHED THEN ${insertAll(RAW_EVENTS_TABLE.columns)}`,
    params: { rows: param.structArray(structOf(RAW_EVENTS_TABLE.columns), [...unique.values()]) },
  };
}

/**
 * MERGE into `dead_letters`: one row per Kafka position, so re-reading an offset files nothing new.
 * The BYTES columns travel as base64 STRING fields decoded in SQL: the Node client sends a
 * Buffer inside a STRUCT parameter as JSON text, and the emulator does not decode BYTES
 * parameters, so this is the one form that keeps the original bytes on both.
 */
export function insertDeadLettersStatement(warehouse: Warehouse, rows: readonly DeadLetterRow[]): Statement {
  const unique = new Map(rows.map((r) => [r.dead_letter_id, r]));
  const bytesColumns = DEAD_LETTERS_TABLE.columns.filter((c) => c.type === 'BYTES').map((c) => c.name);
  const fields = Object.fromEntries(DEAD_LETTERS_TABLE.columns.map((c) => [c.name, c.type === 'BYTES' ? 'STRING' : c.type])) as StructType;
  const base64 = (v: unknown) => (v === null || v === undefined ? null : Buffer.from(v as Uint8Array).toString('base64'));
  const encoded = [...unique.values()].map((r) => ({ ...r, ...Object.fromEntries(bytesColumns.map((c) => [c, base64(r[c])])) }));
  const decode = join(bytesColumns.map((c) => sql`FROM_BASE64(r.${ident(c)}) AS ${ident(c)}`));
  return {
    sql: sql`MERGE ${warehouse.table(DEAD_LETTERS_TABLE.name)} AS T
USING (SELECT r.* REPLACE (${decode}) FROM UNNEST(@rows) AS r) AS S
ON T.dead_letter_id = S.dead_letter_id
WHEN NOT MATCHED THEN ${insertAll(DEAD_LETTERS_TABLE.columns)}`,
    params: { rows: param.structArray(fields, encoded) },
  };
}

/*
 * The ingest's staged writes: a batch's rows are appended to STAGE_TABLE under one
 * batch id (Storage Write API, at least once), then these MERGEs move them into the final
 * tables. Each source keeps one row per key (QUALIFY), so rows that landed twice change
 * nothing; each MERGE is as idempotent and order-insensitive as its UNNEST twin above.
 */

/**
 * A staged batch: its id, and the time its rows carry in `staged_at` (all the same). The
 * time bound lets BigQuery prune the stage's day partitions; the id finds the rows.
 */
export interface StagedBatch {
  id: string;
  stagedAt: Date;
}

const stagedParams = (batch: StagedBatch): Record<string, Param> => ({
  batch: param.string(batch.id),
  staged_at: param.timestamp(batch.stagedAt),
});

/** `SELECT <columns> FROM ingest_stage WHERE batch_id = @batch …`, one row per key. */
function stagedSource(
  warehouse: Warehouse,
  columns: readonly ColumnSpec[],
  where: SqlFragment,
  partitionBy: readonly string[],
  orderBy: SqlFragment,
): SqlFragment {
  return sql`SELECT ${join(columns.map((c) => ident(c.name)))} FROM ${warehouse.table(STAGE_TABLE.name)}
  WHERE staged_at >= @staged_at AND batch_id = @batch${where}
  QUALIFY ROW_NUMBER() OVER (PARTITION BY ${join(partitionBy.map((c) => ident(c)))} ORDER BY ${orderBy}) = 1`;
}

/** MERGE a staged batch's versions of one entity type into `<entity>_history` (see appendHistoryStatement). */
export function mergeStagedHistoryStatement(warehouse: Warehouse, entityType: EntityType, batch: StagedBatch): Statement {
  const table = spec(historyTableName(entityType));
  const source = stagedSource(warehouse, table.columns, sql` AND entity_type = @entity_type`, ['tenant_id', 'event_id'], sql`staged_at`);
  return {
    sql: sql`MERGE ${warehouse.table(table.name)} AS H
USING (${source}) AS S
ON H.tenant_id = S.tenant_id AND H.id = S.id AND H.event_id = S.event_id
WHEN NOT MATCHED THEN ${insertAll(table.columns)}`,
    params: { ...stagedParams(batch), entity_type: param.string(entityType) },
  };
}

/** MERGE a staged batch's applied versions of one entity type into `<entity>_current` (see upsertCurrentStatement). */
export function mergeStagedCurrentStatement(warehouse: Warehouse, entityType: EntityType, batch: StagedBatch): Statement {
  const table = spec(currentTableName(entityType));
  const source = stagedSource(
    warehouse,
    table.columns,
    sql` AND entity_type = @entity_type AND to_current`,
    ['tenant_id', 'id'],
    sql`valid_from DESC, IFNULL(seq, -1) DESC, event_id DESC`,
  );
  return {
    sql: sql`MERGE ${warehouse.table(table.name)} AS T
USING (${source}) AS S
ON T.tenant_id = S.tenant_id AND T.id = S.id
WHEN MATCHED AND ${NEWER} THEN UPDATE SET ${updatesOf(table)}
WHEN NOT MATCHED THEN ${insertAll(table.columns)}`,
    params: { ...stagedParams(batch), entity_type: param.string(entityType) },
  };
}

/** MERGE a staged batch into `events_raw` (see insertRawEventsStatement). */
export function mergeStagedRawStatement(warehouse: Warehouse, batch: StagedBatch): Statement {
  const source = stagedSource(warehouse, RAW_EVENTS_TABLE.columns, sql``, ['tenant_id', 'event_id'], sql`staged_at`);
  return {
    sql: sql`MERGE ${warehouse.table(RAW_EVENTS_TABLE.name)} AS T
USING (${source}) AS S
ON T.tenant_id = S.tenant_id AND T.event_id = S.event_id
WHEN NOT MATCHED THEN ${insertAll(RAW_EVENTS_TABLE.columns)}`,
    params: stagedParams(batch),
  };
}

/**
 * Sets `redriven_at` of dead letters by id (topic/partition/offset where the ingest first
 * read them): `tools/redrive`, once their republish was acknowledged. A later redrive of
 * the same letter moves the time forward; the Kafka header counts how often it happened.
 * `receivedBetween` (when the ingest received them, with a day of slack each side) bounds
 * the partitions the update reads.
 */
export function markDeadLettersRedrivenStatement(
  warehouse: Warehouse,
  deadLetterIds: readonly string[],
  at: Date,
  receivedBetween: { from: Date; to: Date },
): Statement {
  const DAY_MS = 86_400_000;
  return {
    sql: sql`UPDATE ${warehouse.table(DEAD_LETTERS_TABLE.name)} SET redriven_at = @at
WHERE received_at BETWEEN @received_from AND @received_to AND dead_letter_id IN UNNEST(@ids)`,
    params: {
      at: param.timestamp(at),
      received_from: param.timestamp(new Date(receivedBetween.from.getTime() - DAY_MS)),
      received_to: param.timestamp(new Date(receivedBetween.to.getTime() + DAY_MS)),
      ids: param.array('STRING', deadLetterIds),
    },
  };
}

/** A dead letter's original message as its `dead_letters` row keeps it. */
export interface DeadLetterOriginalRow extends Row {
  dead_letter_id: string;
  payload: Buffer;
  message_key: Buffer | null;
  /** JSON text of the original Kafka headers. */
  headers: string | null;
}

/**
 * The original key, value and headers of these dead letters, for `tools/redrive` to
 * re-drive a stub (a letter the dead-letter topic refused, published without its value).
 * `receivedBetween` bounds the partitions read, as in markDeadLettersRedrivenStatement.
 * Rows: DeadLetterOriginalRow.
 */
export function deadLetterOriginalsQuery(
  warehouse: Warehouse,
  deadLetterIds: readonly string[],
  receivedBetween: { from: Date; to: Date },
): Statement {
  const DAY_MS = 86_400_000;
  return {
    sql: sql`SELECT dead_letter_id, payload, message_key, headers FROM ${warehouse.table(DEAD_LETTERS_TABLE.name)}
WHERE received_at BETWEEN @received_from AND @received_to AND dead_letter_id IN UNNEST(@ids)`,
    params: {
      received_from: param.timestamp(new Date(receivedBetween.from.getTime() - DAY_MS)),
      received_to: param.timestamp(new Date(receivedBetween.to.getTime() + DAY_MS)),
      ids: param.array('STRING', deadLetterIds),
    },
  };
}

/**
 * Deletes staged rows older than `before`. Real BigQuery may refuse DML on rows streamed in
 * the last half hour or so, so callers keep a retention well above that (the ingest: 2 h).
 */
export function deleteStagedBeforeStatement(warehouse: Warehouse, before: Date): Statement {
  return {
    sql: sql`DELETE FROM ${warehouse.table(STAGE_TABLE.name)} WHERE staged_at < @before`,
    params: { before: param.timestamp(before) },
  };
}

/**
 * Ids as one space-separated STRING parameter, split in SQL. An ARRAY<STRING> parameter
 * of thousands of ids costs the emulator about 60 µs per element to bind (a 6,000-event
 * write's read took 830 ms), and BigQuery a request with one JSON object per element.
 * Event, entity and tenant ids never contain a space (libs/domain validation).
 */
function spaceSeparated(ids: readonly string[]): string {
  for (const id of ids) if (id.includes(' ')) throw new TypeError(`id ${JSON.stringify(id)} contains a space`);
  return ids.join(' ');
}

/**
 * A row of writeStateQuery: `kind` is `recorded` (an events_raw hit: `topic`,
 * `kafka_partition`, `kafka_offset` and `outcome` are what that row recorded), `history` (a
 * history row of one of the events: `recorded_at` is its system time) or the entity type
 * of a current row.
 */
export interface WriteStateRow extends Record<string, unknown> {
  kind: string;
  tenant_id: string;
  id: string;
  valid_from: string | null;
  seq: number | null;
  event_id: string;
  recorded_at: string | null;
  topic: string | null;
  kafka_partition: number | null;
  kafka_offset: number | string | null;
  outcome: string | null;
}

/**
 * What a write needs to classify its events, in one statement (a UNION ALL) rather than
 * one per table: which of `eventIds` are already in events_raw (kind `recorded`, `id` =
 * the event id, with the Kafka position and outcome it was recorded with, so a delivery
 * of that same offset can be told from the event sent again), and the current version key of each entity in `entityIds` (kind = its
 * entity type). Any tenant: callers match the tenant. Each statement costs the emulator
 * a fixed ~100 ms, so this saves a round per entity type per write. `eventIds` and
 * `entityIds` must not be empty lists (an empty list would match the id '').
 *
 * Also the history rows of these events recorded since `historySince` (kind `history`):
 * a write that an earlier attempt left half done finds the system time that attempt gave
 * its history rows, so every row of an event carries one recorded_at. The bound lets
 * BigQuery read only recent partitions of the history tables (partitioned by recorded_at).
 */
export function writeStateQuery(
  warehouse: Warehouse,
  eventIds: readonly string[],
  entityIds: ReadonlyMap<EntityType, readonly string[]>,
  historySince: Date,
): Statement {
  // Every branch has the columns of WriteStateRow, in this order (UNION ALL is positional).
  const noPosition = sql`CAST(NULL AS STRING) AS topic, CAST(NULL AS INT64) AS kafka_partition, CAST(NULL AS INT64) AS kafka_offset, CAST(NULL AS STRING) AS outcome`;
  const branches: SqlFragment[] = [
    sql`SELECT 'recorded' AS kind, tenant_id, event_id AS id, CAST(NULL AS TIMESTAMP) AS valid_from, CAST(NULL AS INT64) AS seq, event_id, CAST(NULL AS TIMESTAMP) AS recorded_at,
  topic, kafka_partition, kafka_offset, outcome
  FROM ${warehouse.table(RAW_EVENTS_TABLE.name)} WHERE event_id IN UNNEST(SPLIT(@event_ids, ' '))`,
  ];
  const params: Record<string, Param> = { event_ids: param.string(spaceSeparated(eventIds)), history_since: param.timestamp(historySince) };
  let i = 0;
  for (const [entityType, ids] of entityIds) {
    const name = `ids_${i}`;
    const kind = `kind_${i++}`;
    branches.push(
      sql`SELECT ${paramRef(kind)} AS kind, tenant_id, id, valid_from, seq, event_id, CAST(NULL AS TIMESTAMP) AS recorded_at, ${noPosition} FROM ${warehouse.table(currentTableName(entityType))} WHERE id IN UNNEST(SPLIT(${paramRef(name)}, ' '))`,
      sql`SELECT 'history' AS kind, tenant_id, event_id AS id, CAST(NULL AS TIMESTAMP) AS valid_from, CAST(NULL AS INT64) AS seq, event_id, recorded_at, ${noPosition}
  FROM ${warehouse.table(historyTableName(entityType))}
  WHERE recorded_at >= @history_since AND id IN UNNEST(SPLIT(${paramRef(name)}, ' ')) AND event_id IN UNNEST(SPLIT(@event_ids, ' '))`,
    );
    params[name] = param.string(spaceSeparated(ids));
    params[kind] = param.string(entityType);
  }
  return { sql: join(branches, '\nUNION ALL\n'), params };
}
