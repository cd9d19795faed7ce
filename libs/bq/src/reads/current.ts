/**
 * Read statements over the current-state tables (the bookings subgraph's warehouse
 * access). Every statement is scoped by `tenant_id = @tenant` and skips tombstones, so
 * an id of another tenant, or a deleted entity, reads exactly like a missing one.
 * Filters are data (column, operator, value), checked against the table's schema and
 * turned into parameters here — resolvers never write SQL.
 */
import { BOOKING_STATUSES, type EntityType } from '@phoenix/domain';
import { currentTableName, ENRICHMENT_COLUMNS, WAREHOUSE_TABLES } from '../schema/tables';
import type { ColumnSpec } from '../schema/types';
import { ident, join, param, paramRef, sql, type Param, type ScalarType, type SqlFragment, type Statement } from '../sql';
import type { Warehouse } from '../client';

/** Bookings in these states hold their desk or room; cancelled, no-show and completed ones do not. */
export const ACTIVE_BOOKING_STATUSES: readonly (typeof BOOKING_STATUSES)[number][] = ['booked', 'checked_in'];

export type Condition =
  /** `column = value` */
  | { column: string; op: '='; value: unknown }
  /** `column IN UNNEST(values)`; an empty list matches nothing. */
  | { column: string; op: 'in'; values: readonly unknown[] }
  | { column: string; op: '<' | '<=' | '>' | '>='; value: unknown }
  /** Desks or rooms on a floor of this building. */
  | { kind: 'inBuilding'; buildingId: string }
  /** Desks with no active booking on this calendar day. */
  | { kind: 'deskFreeOn'; date: string }
  /** Rooms with no active booking overlapping [from, to). */
  | { kind: 'roomFreeBetween'; from: string; to: string }
  /** `column` (a TIMESTAMP) falls on this calendar day in the row's own `timezone` column (UTC when unknown). */
  | { kind: 'onLocalDay'; column: string; date: string };

export interface ListCurrentOptions {
  tenantId: string;
  where: readonly Condition[];
  /** A column whose value is never NULL on live rows; `id` breaks ties. */
  orderBy: { column: string; direction: 'ASC' | 'DESC' };
  /** The (orderBy value, id) of the last row of the previous page. */
  after: readonly [unknown, string] | null;
  limit: number;
}

const columnsOf = (entityType: EntityType): readonly ColumnSpec[] => {
  const spec = WAREHOUSE_TABLES.find((t) => t.name === currentTableName(entityType));
  if (!spec) throw new TypeError(`no current table for ${entityType}`);
  return spec.columns;
};

function column(entityType: EntityType, name: string): ColumnSpec {
  const spec = columnsOf(entityType).find((c) => c.name === name);
  if (!spec) throw new TypeError(`${currentTableName(entityType)} has no column ${JSON.stringify(name)}`);
  return spec;
}

function typedParam(spec: ColumnSpec, value: unknown): Param {
  return { type: spec.type as ScalarType, value: value ?? null };
}

/** The live rows of these entities, in no particular order (DataLoaders put them in key order). */
export function currentByIdsQuery(
  warehouse: Warehouse,
  entityType: EntityType,
  options: { tenantId: string; ids: readonly string[] },
): Statement {
  if (options.ids.length === 0) throw new TypeError('currentByIdsQuery: ids must not be empty');
  return {
    sql: sql`SELECT * FROM ${warehouse.table(currentTableName(entityType))}
WHERE tenant_id = @tenant AND id IN UNNEST(@ids) AND NOT deleted`,
    params: { tenant: param.string(options.tenantId), ids: param.array('STRING', options.ids) },
  };
}

/** One page of live rows matching every condition, ordered by (orderBy, id), after a keyset cursor. */
export function listCurrentQuery(warehouse: Warehouse, entityType: EntityType, options: ListCurrentOptions): Statement {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 1001) {
    throw new TypeError(`listCurrentQuery: limit must be an integer from 1 to 1001, got ${options.limit}`);
  }
  const params: Record<string, Param> = { tenant: param.string(options.tenantId) };
  const where: SqlFragment[] = [sql`t.tenant_id = @tenant`, sql`NOT t.deleted`];
  options.where.forEach((condition, i) => where.push(conditionSql(warehouse, entityType, condition, `c${i}`, params)));

  const order = column(entityType, options.orderBy.column);
  const dir = options.orderBy.direction === 'DESC' ? sql`DESC` : sql`ASC`;
  if (options.after) {
    params['after_value'] = typedParam(order, options.after[0]);
    params['after_id'] = param.string(options.after[1]);
    const col = ident(order.name);
    where.push(
      options.orderBy.direction === 'DESC'
        ? sql`(t.${col} < @after_value OR (t.${col} = @after_value AND t.id < @after_id))`
        : sql`(t.${col} > @after_value OR (t.${col} = @after_value AND t.id > @after_id))`,
    );
  }
  params['limit'] = param.int(options.limit);
  return {
    sql: sql`SELECT t.* FROM ${warehouse.table(currentTableName(entityType))} AS t
WHERE ${join(where, ' AND ')}
ORDER BY t.${ident(order.name)} ${dir}, t.id ${dir}
LIMIT @limit`,
    params,
  };
}

function conditionSql(
  warehouse: Warehouse,
  entityType: EntityType,
  c: Condition,
  name: string,
  params: Record<string, Param>,
): SqlFragment {
  if ('kind' in c) {
    switch (c.kind) {
      case 'inBuilding':
        if (entityType !== 'desk' && entityType !== 'room') throw new TypeError('inBuilding applies to desks and rooms');
        params[name] = param.string(c.buildingId);
        return sql`t.floor_id IN (SELECT f.id FROM ${warehouse.table(currentTableName('floor'))} AS f
  WHERE f.tenant_id = t.tenant_id AND f.building_id = ${paramRef(name)} AND NOT f.deleted)`;
      case 'deskFreeOn':
        if (entityType !== 'desk') throw new TypeError('deskFreeOn applies to desks');
        params[name] = param.date(c.date);
        params[`${name}_active`] = param.array('STRING', ACTIVE_BOOKING_STATUSES);
        return sql`NOT EXISTS (SELECT 1 FROM ${warehouse.table(currentTableName('desk_booking'))} AS b
  WHERE b.tenant_id = t.tenant_id AND b.desk_id = t.id AND b.date = ${paramRef(name)} AND NOT b.deleted AND b.status IN UNNEST(${paramRef(`${name}_active`)}))`;
      case 'roomFreeBetween':
        if (entityType !== 'room') throw new TypeError('roomFreeBetween applies to rooms');
        params[`${name}_from`] = param.timestamp(c.from);
        params[`${name}_to`] = param.timestamp(c.to);
        params[`${name}_active`] = param.array('STRING', ACTIVE_BOOKING_STATUSES);
        return sql`NOT EXISTS (SELECT 1 FROM ${warehouse.table(currentTableName('room_booking'))} AS b
  WHERE b.tenant_id = t.tenant_id AND b.room_id = t.id AND b.start_time < ${paramRef(`${name}_to`)} AND b.end_time > ${paramRef(`${name}_from`)}
    AND NOT b.deleted AND b.status IN UNNEST(${paramRef(`${name}_active`)}))`;
      case 'onLocalDay': {
        const spec = column(entityType, c.column);
        if (spec.type !== 'TIMESTAMP' || !ENRICHMENT_COLUMNS[entityType]?.some((e) => e.name === 'timezone')) {
          throw new TypeError(`onLocalDay needs a TIMESTAMP column and a timezone column; ${entityType}.${c.column} is not one`);
        }
        params[name] = param.date(c.date);
        return sql`DATE(t.${ident(spec.name)}, IFNULL(t.timezone, 'UTC')) = ${paramRef(name)}`;
      }
    }
  }
  const spec = column(entityType, c.column);
  const col = sql`t.${ident(spec.name)}`;
  if (c.op === 'in') {
    params[name] = param.array(spec.type as ScalarType, c.values);
    return sql`${col} IN UNNEST(${paramRef(name)})`;
  }
  params[name] = typedParam(spec, c.value);
  const op = { '=': sql`=`, '<': sql`<`, '<=': sql`<=`, '>': sql`>`, '>=': sql`>=` }[c.op];
  return sql`${col} ${op} ${paramRef(name)}`;
}
