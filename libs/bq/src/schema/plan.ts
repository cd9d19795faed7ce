import type { ColumnMode, ColumnSpec, ColumnType, TableSpec } from './types';

/** A table as BigQuery reports it (types in either legacy or standard SQL spelling). */
export interface ExistingTable {
  readonly name: string;
  readonly columns: readonly { name: string; type: string; mode?: string }[];
  readonly partitionBy?: string | null;
  readonly clusterBy?: readonly string[] | null;
  /** Partition expiration in ms; null or absent when partitions never expire. */
  readonly partitionExpirationMs?: number | null;
}

export type MigrationAction =
  | { readonly kind: 'create-table'; readonly table: TableSpec }
  | {
      readonly kind: 'alter-table';
      readonly table: TableSpec;
      /** New NULLABLE or REPEATED columns. */
      readonly addColumns: readonly ColumnSpec[];
      /** REQUIRED columns the schema now declares NULLABLE (BigQuery relaxes these in place). */
      readonly relaxColumns: readonly string[];
      /** Set when the declared partition expiration differs from the table's: the new value in ms. */
      readonly partitionExpirationMs?: number;
    };

const DAY_MS = 86_400_000;

/** The partition expiration a table spec asks for, in ms (null: none). */
export function partitionExpirationMs(table: TableSpec): number | null {
  return table.partitionExpirationDays === undefined ? null : table.partitionExpirationDays * DAY_MS;
}

/** Codes for the changes `migrate` will not make, because they would lose or rewrite data. */
export type RefusalCode =
  | 'COLUMN_REMOVED'
  | 'COLUMN_TYPE_CHANGED'
  | 'COLUMN_MODE_CHANGED'
  | 'REQUIRED_COLUMN_ADDED'
  | 'PARTITIONING_CHANGED'
  | 'CLUSTERING_CHANGED';

export interface Refusal {
  readonly code: RefusalCode;
  readonly table: string;
  readonly column?: string;
  readonly message: string;
}

export interface MigrationPlan {
  readonly actions: readonly MigrationAction[];
  readonly refusals: readonly Refusal[];
  /** Tables that already match the spec. */
  readonly unchanged: readonly string[];
}

// BigQuery's REST API still answers with the legacy names.
const TYPE_ALIASES: Record<string, ColumnType> = {
  INTEGER: 'INT64',
  FLOAT: 'FLOAT64',
  BOOLEAN: 'BOOL',
  BIGNUMERIC: 'NUMERIC',
};

export function normaliseType(type: string): string {
  const upper = type.toUpperCase();
  return TYPE_ALIASES[upper] ?? upper;
}

/**
 * Compares the declared tables with what exists and decides what to do. Pure: the
 * caller applies the actions only when there are no refusals, so a refused change
 * never leaves the dataset half-migrated. Tables that exist but are not declared are
 * left alone.
 */
export function planMigration(desired: readonly TableSpec[], existing: ReadonlyMap<string, ExistingTable>): MigrationPlan {
  const actions: MigrationAction[] = [];
  const refusals: Refusal[] = [];
  const unchanged: string[] = [];

  for (const table of desired) {
    const current = existing.get(table.name);
    if (!current) {
      actions.push({ kind: 'create-table', table });
      continue;
    }
    const before = refusals.length;
    const currentColumns = new Map(current.columns.map((c) => [c.name, c]));
    const declared = new Set(table.columns.map((c) => c.name));

    for (const column of current.columns) {
      if (!declared.has(column.name)) {
        refusals.push({
          code: 'COLUMN_REMOVED',
          table: table.name,
          column: column.name,
          message: `${table.name}.${column.name} exists in BigQuery but not in the schema; dropping it would lose data. Put the column back in the schema, or drop it by hand after a backup.`,
        });
      }
    }

    const added: ColumnSpec[] = [];
    const relaxed: string[] = [];
    for (const column of table.columns) {
      const found = currentColumns.get(column.name);
      const mode: ColumnMode = column.mode ?? 'NULLABLE';
      if (!found) {
        if (mode === 'REQUIRED') {
          refusals.push({
            code: 'REQUIRED_COLUMN_ADDED',
            table: table.name,
            column: column.name,
            message: `${table.name}.${column.name} is new and REQUIRED; existing rows have no value for it. Add it as NULLABLE.`,
          });
        } else {
          added.push(column);
        }
        continue;
      }
      if (normaliseType(found.type) !== column.type) {
        refusals.push({
          code: 'COLUMN_TYPE_CHANGED',
          table: table.name,
          column: column.name,
          message: `${table.name}.${column.name} is ${normaliseType(found.type)} in BigQuery but ${column.type} in the schema; changing a column's type rewrites data. Add a new column instead.`,
        });
      }
      const foundMode = (found.mode ?? 'NULLABLE').toUpperCase();
      if (foundMode === mode) continue;
      if (foundMode === 'REQUIRED' && mode === 'NULLABLE') {
        relaxed.push(column.name);
      } else {
        refusals.push({
          code: 'COLUMN_MODE_CHANGED',
          table: table.name,
          column: column.name,
          message: `${table.name}.${column.name} is ${foundMode} in BigQuery but ${mode} in the schema; only REQUIRED → NULLABLE can change in place.`,
        });
      }
    }

    if ((current.partitionBy ?? null) !== table.partitionBy) {
      refusals.push({
        code: 'PARTITIONING_CHANGED',
        table: table.name,
        column: table.partitionBy,
        message: `${table.name} is partitioned by ${current.partitionBy ?? 'nothing'} but the schema says ${table.partitionBy}; repartitioning means copying the table.`,
      });
    }
    if ((current.clusterBy ?? []).join(',') !== table.clusterBy.join(',')) {
      refusals.push({
        code: 'CLUSTERING_CHANGED',
        table: table.name,
        message: `${table.name} is clustered by [${(current.clusterBy ?? []).join(', ')}] but the schema says [${table.clusterBy.join(', ')}].`,
      });
    }

    // Only for tables that declare one: an expiration set by hand or inherited from the
    // dataset's default on another table is the operator's, and left alone.
    const expiration = partitionExpirationMs(table);
    const expirationChanged = expiration !== null && (current.partitionExpirationMs ?? null) !== expiration;
    if (added.length > 0 || relaxed.length > 0 || expirationChanged)
      actions.push({
        kind: 'alter-table',
        table,
        addColumns: added,
        relaxColumns: relaxed,
        ...(expirationChanged ? { partitionExpirationMs: expiration } : {}),
      });
    else if (refusals.length === before) unchanged.push(table.name);
  }
  return { actions, refusals, unchanged };
}
