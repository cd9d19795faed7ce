import type { EntityType } from '@phoenix/domain';
import type { Warehouse } from './client';
import { currentTableName } from './schema/tables';
import { ident, join, param, sql, type SqlFragment, type Statement } from './sql';

/**
 * Recomputes the enrichment columns of a booking/visit current table from the current
 * reference tables, for the rows that reference a changed desk, room, floor, building,
 * member or team, and updates only those whose enrichment differs. Run after reference data is applied: it completes rows written before their
 * references arrived and carries renames into existing rows, so the final enrichment
 * depends only on the final reference data, not on arrival order.
 */
export interface ReferenceChanges {
  tenants: readonly string[];
  desk: readonly string[];
  room: readonly string[];
  floor: readonly string[];
  building: readonly string[];
  member: readonly string[];
  team: readonly string[];
}

export function enrichmentStatement(
  warehouse: Warehouse,
  entityType: 'desk_booking' | 'room_booking' | 'visit',
  changed: ReferenceChanges,
): Statement {
  const t = (name: EntityType) => warehouse.table(currentTableName(name));
  let source: SqlFragment;
  let columns: string[];
  let params: Record<string, readonly string[]>;
  if (entityType === 'visit') {
    columns = ['building_name', 'timezone', 'team_id', 'team_name', 'enriched'];
    source = sql`SELECT b.tenant_id, b.id, bl.name AS building_name, bl.timezone AS timezone, m.team_id AS team_id, tm.name AS team_name,
        (bl.id IS NOT NULL AND m.id IS NOT NULL AND (m.team_id IS NULL OR tm.id IS NOT NULL)) AS enriched
      FROM ${t('visit')} AS b
      LEFT JOIN ${t('building')} AS bl ON bl.tenant_id = b.tenant_id AND bl.id = b.building_id AND NOT bl.deleted
      LEFT JOIN ${t('member')} AS m ON m.tenant_id = b.tenant_id AND m.id = b.host_id AND NOT m.deleted
      LEFT JOIN ${t('team')} AS tm ON tm.tenant_id = b.tenant_id AND tm.id = m.team_id AND NOT tm.deleted
      WHERE b.tenant_id IN UNNEST(@tenants) AND NOT b.deleted
        AND (b.building_id IN UNNEST(@buildings) OR b.host_id IN UNNEST(@members) OR m.team_id IN UNNEST(@teams))`;
    params = { buildings: changed.building, members: changed.member, teams: changed.team };
  } else {
    const [place, placeColumn, memberColumn] =
      entityType === 'desk_booking' ? (['desk', 'desk_id', 'member_id'] as const) : (['room', 'room_id', 'organizer_id'] as const);
    columns = ['floor_id', 'floor_name', 'building_id', 'building_name', 'timezone', 'team_id', 'team_name', 'enriched'];
    source = sql`SELECT b.tenant_id, b.id, p.floor_id AS floor_id, f.name AS floor_name, f.building_id AS building_id,
        bl.name AS building_name, bl.timezone AS timezone, m.team_id AS team_id, tm.name AS team_name,
        (p.id IS NOT NULL AND f.id IS NOT NULL AND bl.id IS NOT NULL AND m.id IS NOT NULL AND (m.team_id IS NULL OR tm.id IS NOT NULL)) AS enriched
      FROM ${t(entityType)} AS b
      LEFT JOIN ${t(place)} AS p ON p.tenant_id = b.tenant_id AND p.id = b.${ident(placeColumn)} AND NOT p.deleted
      LEFT JOIN ${t('floor')} AS f ON f.tenant_id = b.tenant_id AND f.id = p.floor_id AND NOT f.deleted
      LEFT JOIN ${t('building')} AS bl ON bl.tenant_id = b.tenant_id AND bl.id = f.building_id AND NOT bl.deleted
      LEFT JOIN ${t('member')} AS m ON m.tenant_id = b.tenant_id AND m.id = b.${ident(memberColumn)} AND NOT m.deleted
      LEFT JOIN ${t('team')} AS tm ON tm.tenant_id = b.tenant_id AND tm.id = m.team_id AND NOT tm.deleted
      WHERE b.tenant_id IN UNNEST(@tenants) AND NOT b.deleted
        AND (b.${ident(placeColumn)} IN UNNEST(@places) OR b.${ident(memberColumn)} IN UNNEST(@members) OR p.floor_id IN UNNEST(@floors)
          OR f.building_id IN UNNEST(@buildings) OR m.team_id IN UNNEST(@teams))`;
    params = { places: changed[place], members: changed.member, floors: changed.floor, buildings: changed.building, teams: changed.team };
  }
  const differs = join(
    columns.map((c) => sql`T.${ident(c)} IS DISTINCT FROM S.${ident(c)}`),
    ' OR ',
  );
  const updates = join(columns.map((c) => sql`${ident(c)} = S.${ident(c)}`));
  return {
    sql: sql`MERGE ${t(entityType)} AS T
USING (${source}) AS S
ON T.tenant_id = S.tenant_id AND T.id = S.id
WHEN MATCHED AND (${differs}) THEN UPDATE SET ${updates}`,
    params: {
      tenants: param.array('STRING', changed.tenants),
      ...Object.fromEntries(Object.entries(params).map(([name, ids]) => [name, param.array('STRING', ids)])),
    },
  };
}
