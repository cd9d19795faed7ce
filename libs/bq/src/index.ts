/**
 * @phoenix/bq — the warehouse layer: the BigQuery client factory (emulator or real
 * BigQuery), the schema as code with an idempotent, non-destructive `migrate`, and a
 * query layer where every value is a named parameter. The only place in Phoenix that
 * imports @google-cloud/bigquery.
 */
export { createWarehouse, warehouseEnvironment, WarehouseError, classify } from './client';
export type { Warehouse, WarehouseConfig, WarehouseErrorCode, QueryOptions, Row } from './client';
export { encodeRowChunks, encodeRows, MAX_APPEND_BYTES } from './append';
export type { CellReader, ArrowPayload } from './append';
export { migrate, MigrationRefusedError } from './migrate';
export type { MigrateOptions, MigrationReport } from './migrate';
export { planMigration, normaliseType } from './schema/plan';
export type { ExistingTable, MigrationAction, MigrationPlan, Refusal, RefusalCode } from './schema/plan';
export {
  WAREHOUSE_TABLES,
  RAW_EVENTS_TABLE,
  DEAD_LETTERS_TABLE,
  STAGE_TABLE,
  ENTITY_COLUMNS,
  ENRICHMENT_COLUMNS,
  currentTableName,
  historyTableName,
} from './schema/tables';
export type { ColumnSpec, ColumnType, ColumnMode, TableSpec } from './schema/types';
export { sql, ident, join, tableRef, param, checkStatement, SqlFragment } from './sql';
export type { Param, ParamType, ScalarType, Statement } from './sql';
export { versionRow, rawEventRow, deadLetterRow } from './rows';
export type { DeadLetterOriginalRow, ReferenceChanges, StagedBatch, WriteStateRow } from './writes';
export type { VersionRow, RawEventRow, DeadLetterRow, KafkaPosition } from './rows';
export {
  upsertCurrentStatement,
  appendHistoryStatement,
  insertRawEventsStatement,
  insertDeadLettersStatement,
  markDeadLettersRedrivenStatement,
  deadLetterOriginalsQuery,
  enrichmentStatement,
  mergeStagedHistoryStatement,
  mergeStagedCurrentStatement,
  mergeStagedRawStatement,
  deleteStagedBeforeStatement,
  writeStateQuery,
  latestPerEntity,
  isNewerVersion,
} from './writes';
// Reads: every statement the subgraphs run, tenant-scoped by construction.
export * from './reads/current';
export * from './reads/history';
