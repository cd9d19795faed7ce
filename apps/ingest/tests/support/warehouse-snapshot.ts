import { ENTITY_COLUMNS, currentTableName, historyTableName, sql, type Warehouse } from '@phoenix/bq';
import { ENTITY_TYPES } from '@phoenix/domain';
import type { ExpectedWarehouse } from './reference-fold';

/**
 * Reads what the warehouse holds, in the shape of the reference fold. Throws when a
 * current table holds two rows for one entity (the fold's shape, a Map, could not show
 * it) or a history row has no system time.
 */
export async function snapshot(warehouse: Warehouse): Promise<ExpectedWarehouse> {
  const current: ExpectedWarehouse['current'] = new Map();
  const history: ExpectedWarehouse['history'] = new Map();
  for (const entityType of ENTITY_TYPES) {
    const rows = await warehouse.query({ sql: sql`SELECT * FROM ${warehouse.table(currentTableName(entityType))}`, params: {} });
    const keys = rows.map((r) => `${r['tenant_id']}/${r['id']}`);
    const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
    if (twice.length > 0) throw new Error(`${currentTableName(entityType)} holds more than one row for ${[...new Set(twice)].join(', ')}`);
    if (rows.length > 0) {
      current.set(
        entityType,
        new Map(
          rows.map((r) => {
            const fields: Record<string, unknown> = {};
            if (!r['deleted']) for (const c of ENTITY_COLUMNS[entityType]) fields[c.name] = r[c.name] ?? null;
            return [
              `${r['tenant_id']}/${r['id']}`,
              {
                tenant_id: r['tenant_id'] as string,
                id: r['id'] as string,
                deleted: r['deleted'] as boolean,
                event_id: r['event_id'] as string,
                fields,
              },
            ];
          }),
        ),
      );
    }
    const versions = await warehouse.query<{
      tenant_id: string;
      id: string;
      event_id: string;
      valid_from: string;
      recorded_at: string | null;
    }>({
      sql: sql`SELECT tenant_id, id, event_id, valid_from, recorded_at FROM ${warehouse.table(historyTableName(entityType))}`,
      params: {},
    });
    const unrecorded = versions.find((v) => Number.isNaN(Date.parse(v.recorded_at ?? '')));
    if (unrecorded) throw new Error(`${historyTableName(entityType)} row ${unrecorded.event_id} has no system time (recorded_at)`);
    if (versions.length > 0)
      history.set(entityType, versions.map((v) => `${v.tenant_id}/${v.id}/${v.event_id}@${Date.parse(v.valid_from)}`).sort());
  }
  const raw = await warehouse.query<{ tenant_id: string; event_id: string }>({
    sql: sql`SELECT tenant_id, event_id FROM ${warehouse.table('events_raw')}`,
    params: {},
  });
  const dead = await warehouse.query<{ n: number }>({ sql: sql`SELECT COUNT(*) AS n FROM ${warehouse.table('dead_letters')}`, params: {} });
  return { current, history, raw: raw.map((r) => `${r.tenant_id}/${r.event_id}`).sort(), deadLetters: Number(dead[0]?.n ?? 0) };
}

/** Normalises optional fields the way the warehouse stores them (absent → null, missing array → []). */
export function normalise(expected: ExpectedWarehouse): ExpectedWarehouse {
  const current: ExpectedWarehouse['current'] = new Map();
  for (const [entityType, rows] of expected.current) {
    const columns = ENTITY_COLUMNS[entityType as keyof typeof ENTITY_COLUMNS];
    current.set(
      entityType,
      new Map(
        [...rows].map(([key, row]) => {
          const fields: Record<string, unknown> = {};
          if (!row.deleted) for (const c of columns) fields[c.name] = row.fields[c.name] ?? (c.mode === 'REPEATED' ? [] : null);
          return [key, { ...row, fields }];
        }),
      ),
    );
  }
  return { ...expected, current };
}
