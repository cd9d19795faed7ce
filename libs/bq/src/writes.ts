import { ENTITY_COLUMNS, currentTableName, historyTableName } from './schema/tables';
import type { ColumnSpec } from './schema/types';
import type { EntityType } from '@phoenix/domain';
import type { Warehouse } from './client';
import type { VersionRow } from './rows';
import { ident, join, param, sql, type ScalarType, type Statement } from './sql';

const VERSION_FIELDS: { [field: string]: ScalarType | [ScalarType] } = {
  tenant_id: 'STRING',
  id: 'STRING',
  deleted: 'BOOL',
  event_id: 'STRING',
  event_type: 'STRING',
  seq: 'INT64',
  valid_from: 'TIMESTAMP',
  recorded_at: 'TIMESTAMP',
};

function rowType(entityType: EntityType): { [field: string]: ScalarType | [ScalarType] } {
  const fields = { ...VERSION_FIELDS };
  for (const column of ENTITY_COLUMNS[entityType] as readonly ColumnSpec[]) {
    fields[column.name] = column.mode === 'REPEATED' ? [column.type] : column.type;
  }
  return fields;
}

/** True when version `a` supersedes version `b`: later (valid_from, seq, event_id). Mirrors compareEventOrder. */
export function isNewerVersion(
  a: Pick<VersionRow, 'valid_from' | 'seq' | 'event_id'>,
  b: Pick<VersionRow, 'valid_from' | 'seq' | 'event_id'>,
): boolean {
  const ta = Date.parse(a.valid_from);
  const tb = Date.parse(b.valid_from);
  if (ta !== tb) return ta > tb;
  const sa = a.seq ?? -1;
  const sb = b.seq ?? -1;
  if (sa !== sb) return sa > sb;
  return a.event_id > b.event_id;
}

/** Keeps the newest version per (tenant_id, id): a MERGE source may match each target row once. */
export function latestPerEntity(rows: readonly VersionRow[]): VersionRow[] {
  const latest = new Map<string, VersionRow>();
  for (const row of rows) {
    const key = `${row.tenant_id}\u0000${row.id}`;
    const seen = latest.get(key);
    if (!seen || isNewerVersion(row, seen)) latest.set(key, row);
  }
  return [...latest.values()];
}

/**
 * MERGE into `<entity>_current`: insert unknown entities, replace a row only with a
 * newer version (valid_from, then seq, then event_id — last writer wins). Applying the
 * same rows again, or older ones, changes nothing, so the write is idempotent and
 * order-insensitive.
 */
export function upsertCurrentStatement(warehouse: Warehouse, entityType: EntityType, rows: readonly VersionRow[]): Statement {
  const type = rowType(entityType);
  const columns = Object.keys(type).map(ident);
  const updates = join(
    Object.keys(type)
      .filter((c) => c !== 'tenant_id' && c !== 'id')
      .map((c) => sql`${ident(c)} = S.${ident(c)}`),
  );
  const newer = sql`(S.valid_from > T.valid_from
      OR (S.valid_from = T.valid_from AND IFNULL(S.seq, -1) > IFNULL(T.seq, -1))
      OR (S.valid_from = T.valid_from AND IFNULL(S.seq, -1) = IFNULL(T.seq, -1) AND S.event_id > T.event_id))`;
  return {
    sql: sql`MERGE ${warehouse.table(currentTableName(entityType))} AS T
USING (SELECT r.* FROM UNNEST(@rows) AS r) AS S
ON T.tenant_id = S.tenant_id AND T.id = S.id
WHEN MATCHED AND ${newer} THEN UPDATE SET ${updates}
WHEN NOT MATCHED THEN INSERT (${join(columns)}) VALUES (${join(columns.map((c) => sql`S.${c}`))})`,
    params: { rows: param.structArray(type, latestPerEntity(rows)) },
  };
}

/**
 * MERGE into `<entity>_history`: append each version once, keyed by event id, so the
 * history is an immutable log of what was known when (recorded_at) about when (valid_from).
 */
export function appendHistoryStatement(warehouse: Warehouse, entityType: EntityType, rows: readonly VersionRow[]): Statement {
  const type = rowType(entityType);
  const columns = Object.keys(type).map(ident);
  const unique = new Map(rows.map((r) => [`${r.tenant_id}\u0000${r.event_id}`, r]));
  return {
    sql: sql`MERGE ${warehouse.table(historyTableName(entityType))} AS H
USING (SELECT r.* FROM UNNEST(@rows) AS r) AS S
ON H.tenant_id = S.tenant_id AND H.id = S.id AND H.event_id = S.event_id
WHEN NOT MATCHED THEN INSERT (${join(columns)}) VALUES (${join(columns.map((c) => sql`S.${c}`))})`,
    params: { rows: param.structArray(type, [...unique.values()]) },
  };
}
