/**
 * @phoenix/bq — the warehouse layer: the BigQuery client factory (emulator or real
 * BigQuery), the schema as code with an idempotent, non-destructive `migrate`, and a
 * query layer where every value is a named parameter. The only place in Phoenix that
 * imports @google-cloud/bigquery.
 */
export { createWarehouse, WarehouseError, classify } from './client';
export type { Warehouse, WarehouseErrorCode, QueryOptions, Row } from './client';
export { warehouseEnvironment } from './config';
export type { WarehouseConfig } from './config';
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
  INGEST_WRITES_TABLE,
  WRITE_INTENT_EXPIRY_MS,
  WRITE_ATTEMPT_MAX_MS,
  ENTITY_COLUMNS,
  ENRICHMENT_COLUMNS,
  currentTableName,
  historyTableName,
} from './schema/tables';
export type { ColumnSpec, ColumnType, ColumnMode, TableSpec } from './schema/types';
export { sql, ident, join, tableRef, param, checkStatement, SqlFragment } from './sql';
export type { Param, ParamType, ScalarType, Statement } from './sql';
export { versionRow, rawEventRow, deadLetterRow } from './rows';
export type { DeadLetterOriginalRow, StagedBatch, WriteStateRow } from './writes';
export type { EnrichedType, EnrichmentScope, ReferenceChanges, StaleEnrichmentRow } from './enrichment';
export type { VersionRow, RawEventRow, DeadLetterRow, KafkaPosition } from './rows';
export {
  upsertCurrentStatement,
  appendHistoryStatement,
  insertRawEventsStatement,
  insertDeadLettersStatement,
  markDeadLettersRedrivenStatement,
  deadLetterOriginalsQuery,
  mergeStagedHistoryStatement,
  mergeStagedCurrentStatement,
  mergeStagedRawStatement,
  deleteStagedBeforeStatement,
  writeStateQuery,
  latestPerEntity,
  isNewerVersion,
} from './writes';
export { enrichmentStatement, staleEnrichmentQuery, ENRICHED_TYPES } from './enrichment';
// Reads: every statement the subgraphs run, tenant-scoped by construction.
export * from './reads/current';
export * from './reads/history';
