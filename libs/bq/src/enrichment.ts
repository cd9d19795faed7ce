/**
 * The enrichment of bookings and visits, computed in the warehouse from the reference
 * `_current` tables: which rows disagree with them (one query over the three enriched
 * tables), and the MERGE that corrects such rows. The ingest stages enrichment from its
 * own cache; these statements are what make the stored values converge whichever
 * instance applied which reference version (docs/ingest.md, Enrichment).
 *
 * The enrichment ids (`floor_id`, `building_id`, `team_id`) name only references that
 * exist: a desk whose floor has not arrived gives a booking no floor at all, so a filter
 * on `floor_id` and the floor the API answers agree.
 */
import type { EntityType } from '@phoenix/domain';
import type { Warehouse } from './client';
import { currentTableName } from './schema/tables';
import { ident, join, param, paramRef, sql, type Param, type SqlFragment, type Statement } from './sql';

export type EnrichedType = 'desk_booking' | 'room_booking' | 'visit';
export const ENRICHED_TYPES: readonly EnrichedType[] = ['desk_booking', 'room_booking', 'visit'];

/** Ids of reference entities (of the scope's tenants) whose change can change a row's enrichment. */
export interface ReferenceChanges {
  tenants: readonly string[];
  desk: readonly string[];
  room: readonly string[];
  floor: readonly string[];
  building: readonly string[];
  member: readonly string[];
  team: readonly string[];
}

/**
 * The rows of one enriched table to look at: in these tenants, the rows with these `ids`
 * (e.g. the ones a batch wrote) and every row that references one of the changed
 * references. Tenants and ids are matched separately (a superset of the exact pairs):
 * looking at a row too many costs a little, and corrects only what is wrong.
 */
export interface EnrichmentScope extends ReferenceChanges {
  ids: readonly string[];
}

/** A row of staleEnrichmentQuery. */
export interface StaleEnrichmentRow extends Record<string, unknown> {
  entity_type: EnrichedType;
  tenant_id: string;
  id: string;
}

/**
 * One query over the enriched tables in `scopes`: the live rows in scope whose stored
 * enrichment differs from what the current reference rows give. Read-only, so it costs
 * no DML slot; an empty answer (the usual case) means nothing needs a MERGE.
 */
export function staleEnrichmentQuery(warehouse: Warehouse, scopes: Partial<Record<EnrichedType, EnrichmentScope>>): Statement {
  const params: Record<string, Param> = {};
  const branches: SqlFragment[] = [];
  for (const entityType of ENRICHED_TYPES) {
    const scope = scopes[entityType];
    if (!scope) continue;
    const kind = `${entityType}_kind`;
    params[kind] = param.string(entityType);
    branches.push(sql`SELECT ${paramRef(kind)} AS entity_type, ${computed(warehouse, entityType, scope, entityType, params, 'stale')}`);
  }
  if (branches.length === 0) throw new TypeError('staleEnrichmentQuery: no table in scope');
  return { sql: join(branches, '\nUNION ALL\n'), params };
}

/**
 * Recomputes the enrichment columns of the rows of one enriched table in `scope` from the
 * current reference tables, and updates those whose stored enrichment differs. Idempotent
 * and order-insensitive: the result depends only on the reference rows it reads.
 */
export function enrichmentStatement(warehouse: Warehouse, entityType: EnrichedType, scope: EnrichmentScope): Statement {
  const params: Record<string, Param> = {};
  const source = computed(warehouse, entityType, scope, 's', params, 'columns');
  const columns = enrichmentColumns(entityType).map(([name]) => ident(name));
  return {
    sql: sql`MERGE ${warehouse.table(currentTableName(entityType))} AS T
USING (SELECT ${source}) AS S
ON T.tenant_id = S.tenant_id AND T.id = S.id
WHEN MATCHED THEN UPDATE SET ${join(columns.map((c) => sql`${c} = S.${c}`))}`,
    params,
  };
}

/** Each enrichment column and how it is computed from the joins of `computed` (b = the row, p = desk/room, f, bl, m, tm). */
function enrichmentColumns(entityType: EnrichedType): [string, SqlFragment][] {
  const team: [string, SqlFragment][] = [
    ['team_id', sql`tm.id`],
    ['team_name', sql`tm.name`],
  ];
  const teamOk = sql`m.id IS NOT NULL AND (m.team_id IS NULL OR tm.id IS NOT NULL)`;
  if (entityType === 'visit') {
    return [['building_name', sql`bl.name`], ['timezone', sql`bl.timezone`], ...team, ['enriched', sql`(bl.id IS NOT NULL AND ${teamOk})`]];
  }
  return [
    ['floor_id', sql`f.id`],
    ['floor_name', sql`f.name`],
    ['building_id', sql`bl.id`],
    ['building_name', sql`bl.name`],
    ['timezone', sql`bl.timezone`],
    ...team,
    ['enriched', sql`(p.id IS NOT NULL AND f.id IS NOT NULL AND bl.id IS NOT NULL AND ${teamOk})`],
  ];
}

/**
 * `b.tenant_id, b.id[, <enrichment columns>] FROM … WHERE …` (to follow a SELECT): the
 * live rows of a table in scope whose stored enrichment differs from the one computed
 * from the joined live reference rows; with `columns`, also the computed values.
 * Parameters are named `<prefix>_…` and added to `params`.
 */
function computed(
  warehouse: Warehouse,
  entityType: EnrichedType,
  scope: EnrichmentScope,
  prefix: string,
  params: Record<string, Param>,
  output: 'stale' | 'columns',
): SqlFragment {
  const t = (name: EntityType) => warehouse.table(currentTableName(name));
  // `<column> IN UNNEST(<ids>)` for each non-empty list: ids as one space-separated
  // STRING split in SQL (an ARRAY parameter costs the emulator ~60 µs per element to bind,
  // and a write may name thousands of bookings); ids never contain a space (libs/domain).
  const matches: SqlFragment[] = [];
  const anyOf = (column: SqlFragment, name: string, ids: readonly string[]) => {
    if (ids.length === 0) return;
    const ref = `${prefix}_${name}`;
    params[ref] = param.string(spaceSeparated(ids));
    matches.push(sql`${column} IN UNNEST(SPLIT(${paramRef(ref)}, ' '))`);
  };
  const tenants = `${prefix}_tenants`;
  params[tenants] = param.string(spaceSeparated(scope.tenants));
  anyOf(sql`b.id`, 'ids', scope.ids);

  const columns = enrichmentColumns(entityType);
  let joins: SqlFragment;
  if (entityType === 'visit') {
    joins = sql`LEFT JOIN ${t('building')} AS bl ON bl.tenant_id = b.tenant_id AND bl.id = b.building_id AND NOT bl.deleted
  LEFT JOIN ${t('member')} AS m ON m.tenant_id = b.tenant_id AND m.id = b.host_id AND NOT m.deleted`;
    anyOf(sql`b.building_id`, 'buildings', scope.building);
    anyOf(sql`b.host_id`, 'members', scope.member);
    anyOf(sql`m.team_id`, 'teams', scope.team);
  } else {
    const [place, placeColumn, memberColumn] =
      entityType === 'desk_booking' ? (['desk', 'desk_id', 'member_id'] as const) : (['room', 'room_id', 'organizer_id'] as const);
    joins = sql`LEFT JOIN ${t(place)} AS p ON p.tenant_id = b.tenant_id AND p.id = b.${ident(placeColumn)} AND NOT p.deleted
  LEFT JOIN ${t('floor')} AS f ON f.tenant_id = b.tenant_id AND f.id = p.floor_id AND NOT f.deleted
  LEFT JOIN ${t('building')} AS bl ON bl.tenant_id = b.tenant_id AND bl.id = f.building_id AND NOT bl.deleted
  LEFT JOIN ${t('member')} AS m ON m.tenant_id = b.tenant_id AND m.id = b.${ident(memberColumn)} AND NOT m.deleted`;
    anyOf(sql`b.${ident(placeColumn)}`, 'places', scope[place]);
    anyOf(sql`b.${ident(memberColumn)}`, 'members', scope.member);
    anyOf(sql`p.floor_id`, 'floors', scope.floor);
    anyOf(sql`f.building_id`, 'buildings', scope.building);
    anyOf(sql`m.team_id`, 'teams', scope.team);
  }
  const inScope = matches.length > 0 ? join(matches, ' OR ') : sql`FALSE`;
  const stale = join(
    columns.map(([name, expr]) => sql`b.${ident(name)} IS DISTINCT FROM ${expr}`),
    ' OR ',
  );
  const values = output === 'columns' ? sql`, ${join(columns.map(([name, expr]) => sql`${expr} AS ${ident(name)}`))}` : sql``;
  return sql`b.tenant_id, b.id${values}
  FROM ${t(entityType)} AS b
  ${joins}
  LEFT JOIN ${t('team')} AS tm ON tm.tenant_id = b.tenant_id AND tm.id = m.team_id AND NOT tm.deleted
  WHERE b.tenant_id IN UNNEST(SPLIT(${paramRef(tenants)}, ' ')) AND NOT b.deleted AND (${inScope}) AND (${stale})`;
}

function spaceSeparated(ids: readonly string[]): string {
  for (const id of ids) if (id.includes(' ')) throw new TypeError(`id ${JSON.stringify(id)} contains a space`);
  return ids.join(' ');
}
