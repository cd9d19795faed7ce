import type { DomainEvent, EntityStateByType, EntityType } from '@phoenix/domain';
import {
  currentTableName,
  ENRICHED_TYPES,
  enrichmentStatement,
  param,
  sql,
  staleEnrichmentQuery,
  type EnrichedType,
  type EnrichmentScope,
  type StaleEnrichmentRow,
  type Statement,
  type Warehouse,
} from '@phoenix/bq';

/**
 * Reference-data enrichment of bookings and visits (what StateFun's functions did):
 * desk/room → floor → building (names, time zone) and member → team.
 *
 * Rows are staged with enrichment from an in-process cache that the pipeline's own
 * applied reference events keep fresh (write-through) and that loads misses from the
 * current tables in one query per entity type per round. The cache can be stale: another
 * instance may have applied a newer reference version, or a reference may arrive while a
 * booking that missed it is being written. So after every write that applied bookings,
 * visits or reference data, `afterWrite` checks in the warehouse — after that write's
 * MERGEs committed — the rows it wrote and the rows that reference what it changed
 * against the current reference rows (one query), and MERGEs only the tables with rows
 * that differ. Of a booking write and a reference write that race, whichever checks
 * last sees the other's commit, so every row converges to the current reference data
 * whichever instance applied which version. A booking whose references have not arrived
 * is written with `enriched = false` and completed by the check of the write that
 * brings them.
 */
export interface Enricher {
  /** Loads what `columnsFor` needs for these (applied) events. */
  prepare(events: readonly DomainEvent[]): Promise<{ columnsFor(event: DomainEvent): Record<string, unknown> }>;
  /**
   * After a batch's MERGEs into the current tables committed: corrects the enrichment of
   * the bookings and visits it applied and of those that reference what it applied.
   */
  afterWrite(applied: readonly DomainEvent[], warehouse: EnrichmentIo): Promise<void>;
}

/** How afterWrite reaches the warehouse: through the writer, which times and serialises statements per table. */
export interface EnrichmentIo {
  query(statement: Statement): Promise<readonly Record<string, unknown>[]>;
  execute(table: string, statement: Statement): Promise<void>;
}

type RefType = 'desk' | 'room' | 'floor' | 'building' | 'member' | 'team';
interface RefValue {
  desk: { floorId: string };
  room: { floorId: string };
  floor: { name: string; buildingId: string };
  building: { name: string; timezone: string };
  member: { teamId: string | null };
  team: { name: string };
}
const REF_TYPE_SET: ReadonlySet<EntityType> = new Set<RefType>(['desk', 'room', 'floor', 'building', 'member', 'team']);
const isEnriched = (type: EntityType): boolean => type === 'desk_booking' || type === 'room_booking' || type === 'visit';

// What columnsFor gives entity types that are not enriched; shared, as callers only read it.
const NO_COLUMNS: Record<string, unknown> = Object.freeze({});

type TenantCache = { [K in RefType]: Map<string, CacheEntry> };
const newTenantCache = (): TenantCache => ({
  desk: new Map(),
  room: new Map(),
  floor: new Map(),
  building: new Map(),
  member: new Map(),
  team: new Map(),
});

interface CacheEntry {
  type: RefType;
  tenant: string;
  id: string;
  value: RefValue[RefType] | null;
  expires: number;
}

// How a reference type's current row becomes a cache entry.
const REF_FROM_ROW: { [K in RefType]: (row: Record<string, unknown>) => RefValue[K] } = {
  desk: (r) => ({ floorId: r['floor_id'] as string }),
  room: (r) => ({ floorId: r['floor_id'] as string }),
  floor: (r) => ({ name: r['name'] as string, buildingId: r['building_id'] as string }),
  building: (r) => ({ name: r['name'] as string, timezone: r['timezone'] as string }),
  member: (r) => ({ teamId: (r['team_id'] as string | null) ?? null }),
  team: (r) => ({ name: r['name'] as string }),
};

function fromEvent(event: DomainEvent): RefValue[RefType] | null {
  if (event.tombstone) return null;
  switch (event.entityType) {
    case 'desk':
    case 'room':
      return { floorId: (event.data as EntityStateByType['desk']).floorId };
    case 'floor': {
      const f = event.data as EntityStateByType['floor'];
      return { name: f.name, buildingId: f.buildingId };
    }
    case 'building': {
      const b = event.data as EntityStateByType['building'];
      return { name: b.name, timezone: b.timezone };
    }
    case 'member':
      return { teamId: (event.data as EntityStateByType['member']).teamId };
    case 'team':
      return { name: (event.data as EntityStateByType['team']).name };
    default:
      return null;
  }
}

export function createEnricher(deps: { warehouse: Warehouse; ttlMs?: number; maxEntries?: number; now?: () => number }): Enricher {
  const { warehouse } = deps;
  const ttlMs = deps.ttlMs ?? 300_000;
  const maxEntries = deps.maxEntries ?? 200_000;
  const now = deps.now ?? Date.now;
  // tenant → type → id → entry (value null = known not to exist / deleted). Nested maps
  // rather than one map keyed by `${type}\0${tenant}\0${id}`: a lookup then builds no
  // string, and a booking's five or six lookups share one tenant lookup (tools/bench/ingest).
  const cache = new Map<string, TenantCache>();
  // Every entry in write order (a Set keeps insertion order): the first is the least
  // recently written, which is the one evicted.
  const order = new Set<CacheEntry>();
  // Read once per prepare(): a batch's lookups all see the same clock.
  let clock = now();

  function put(type: RefType, tenant: string, id: string, value: RefValue[RefType] | null): void {
    let ofTenant = cache.get(tenant);
    if (!ofTenant) cache.set(tenant, (ofTenant = newTenantCache()));
    const previous = ofTenant[type].get(id);
    if (previous) order.delete(previous);
    const entry: CacheEntry = { type, tenant, id, value, expires: clock + ttlMs };
    ofTenant[type].set(id, entry);
    order.add(entry);
    while (order.size > maxEntries) {
      const oldest = order.values().next().value as CacheEntry;
      order.delete(oldest);
      cache.get(oldest.tenant)?.[oldest.type].delete(oldest.id);
    }
  }

  /**
   * An entry from one type's map of a tenant's cache. Callers name the map (`t?.member`)
   * rather than pass the type: one `ofTenant[type]` site that sees six keys is a
   * megamorphic keyed load, a fixed property name is not (tools/bench/ingest).
   */
  function lookupIn<K extends RefType>(
    entries: Map<string, CacheEntry> | undefined,
    id: string | null | undefined,
  ): RefValue[K] | null | undefined {
    if (!id) return null;
    const hit = entries?.get(id);
    if (!hit || hit.expires < clock) return undefined;
    return hit.value as RefValue[K] | null;
  }

  function lookup<K extends RefType>(
    ofTenant: TenantCache | undefined,
    type: K,
    id: string | null | undefined,
  ): RefValue[K] | null | undefined {
    return lookupIn<K>(ofTenant?.[type], id);
  }

  function get<K extends RefType>(type: K, tenant: string, id: string | null | undefined): RefValue[K] | null | undefined {
    return lookup(cache.get(tenant), type, id);
  }

  async function load(type: RefType, wanted: Map<string, Set<string>>): Promise<void> {
    const ids = [...new Set([...wanted.values()].flatMap((s) => [...s]))];
    if (ids.length === 0) return;
    const from = REF_FROM_ROW[type];
    const rows = await warehouse.query(
      {
        sql: sql`SELECT * FROM ${warehouse.table(currentTableName(type))} WHERE id IN UNNEST(@ids) AND NOT deleted`,
        params: { ids: param.array('STRING', ids) },
      },
      { labels: { component: 'ingest-enrichment' } },
    );
    const found = new Set<string>();
    for (const row of rows) {
      const tenant = row['tenant_id'] as string;
      const id = row['id'] as string;
      if (!wanted.get(tenant)?.has(id)) continue;
      put(type, tenant, id, from(row));
      found.add(`${tenant}\u0000${id}`);
    }
    // Remember misses too, so a missing reference costs one query per TTL, not per batch.
    for (const [tenant, set] of wanted) for (const id of set) if (!found.has(`${tenant}\u0000${id}`)) put(type, tenant, id, null);
  }

  /** Resolves references level by level (desk → floor → building), loading misses per level. */
  async function resolve(events: readonly DomainEvent[]): Promise<void> {
    const levels: { type: RefType; idsOf: (e: DomainEvent) => (string | null | undefined)[] }[][] = [
      [
        { type: 'desk', idsOf: (e) => (e.entityType === 'desk_booking' ? [(e.data as EntityStateByType['desk_booking']).deskId] : []) },
        { type: 'room', idsOf: (e) => (e.entityType === 'room_booking' ? [(e.data as EntityStateByType['room_booking']).roomId] : []) },
        { type: 'member', idsOf: (e) => [memberOf(e)] },
        { type: 'building', idsOf: (e) => (e.entityType === 'visit' ? [(e.data as EntityStateByType['visit']).buildingId] : []) },
      ],
      [
        { type: 'floor', idsOf: (e) => [get(placeType(e), e.tenantId, placeOf(e))?.floorId] },
        { type: 'team', idsOf: (e) => [get('member', e.tenantId, memberOf(e))?.teamId] },
      ],
      [{ type: 'building', idsOf: (e) => [get('floor', e.tenantId, get(placeType(e), e.tenantId, placeOf(e))?.floorId)?.buildingId] }],
    ];
    for (const level of levels) {
      for (const { type, idsOf } of level) {
        const wanted = new Map<string, Set<string>>();
        for (const e of events) {
          for (const id of idsOf(e)) {
            if (id && get(type, e.tenantId, id) === undefined) {
              const set = wanted.get(e.tenantId) ?? new Set<string>();
              set.add(id);
              wanted.set(e.tenantId, set);
            }
          }
        }
        await load(type, wanted);
      }
    }
  }

  function columnsFor(event: DomainEvent): Record<string, unknown> {
    if (!isEnriched(event.entityType)) return NO_COLUMNS;
    if (event.tombstone) return { enriched: null };
    return columnsOf(event, false) as Record<string, unknown>;
  }

  /**
   * The enrichment columns of a booking or visit, from the cache. With `onlyIfCached`,
   * undefined as soon as a lookup misses (not cached, or expired), which is exactly when
   * `resolve` would load something for the event.
   */
  function columnsOf(event: DomainEvent, onlyIfCached: boolean): Record<string, unknown> | undefined {
    const t = cache.get(event.tenantId);
    const member = lookupIn<'member'>(t?.member, memberOf(event));
    const team = lookupIn<'team'>(t?.team, member?.teamId);
    if (onlyIfCached && (member === undefined || team === undefined)) return undefined;
    const teamOk = !!member && (member.teamId === null || !!team);
    // Ids only of references that exist (libs/bq enrichment.ts): the same values the
    // warehouse's recompute gives, so a fresh cache stages rows the check leaves alone.
    if (event.entityType === 'visit') {
      const building = lookupIn<'building'>(t?.building, (event.data as EntityStateByType['visit']).buildingId);
      if (onlyIfCached && building === undefined) return undefined;
      return {
        building_name: building?.name ?? null,
        timezone: building?.timezone ?? null,
        team_id: team ? (member?.teamId ?? null) : null,
        team_name: team?.name ?? null,
        enriched: !!building && teamOk,
      };
    }
    const place = lookupIn<'desk' | 'room'>(event.entityType === 'room_booking' ? t?.room : t?.desk, placeOf(event));
    const floor = lookupIn<'floor'>(t?.floor, place?.floorId);
    const building = lookupIn<'building'>(t?.building, floor?.buildingId);
    if (onlyIfCached && (place === undefined || floor === undefined || building === undefined)) return undefined;
    return {
      floor_id: floor ? (place?.floorId ?? null) : null,
      floor_name: floor?.name ?? null,
      building_id: building ? (floor?.buildingId ?? null) : null,
      building_name: building?.name ?? null,
      timezone: building?.timezone ?? null,
      team_id: team ? (member?.teamId ?? null) : null,
      team_name: team?.name ?? null,
      enriched: !!place && !!floor && !!building && teamOk,
    };
  }

  /** Drops a tenant's cached entries: its rows were found stale, so some entry was. */
  function forget(tenant: string): void {
    const ofTenant = cache.get(tenant);
    if (!ofTenant) return;
    for (const entries of Object.values(ofTenant)) for (const entry of entries.values()) order.delete(entry);
    cache.delete(tenant);
  }

  return {
    async prepare(events) {
      clock = now();
      // The batch's own reference changes first (write-through), then whatever is missing.
      const enriched: DomainEvent[] = [];
      for (const e of events) {
        if (REF_TYPE_SET.has(e.entityType)) put(e.entityType as RefType, e.tenantId, e.entityId, fromEvent(e));
        else if (isEnriched(e.entityType) && !e.tombstone) enriched.push(e);
      }
      // On a warm cache (the usual case) every lookup hits: the columns are computed here,
      // once per event, and resolve, which would find nothing to load, is skipped.
      const prepared = new Map<DomainEvent, Record<string, unknown>>();
      for (const e of enriched) {
        const columns = columnsOf(e, true);
        if (columns === undefined) {
          await resolve(enriched);
          return { columnsFor };
        }
        prepared.set(e, columns);
      }
      return { columnsFor: (event) => prepared.get(event) ?? columnsFor(event) };
    },
    async afterWrite(applied, io) {
      const scopes = enrichmentScopes(applied);
      if (Object.keys(scopes).length === 0) return;
      const stale = (await io.query(staleEnrichmentQuery(warehouse, scopes))) as StaleEnrichmentRow[];
      if (stale.length === 0) return;
      for (const entityType of ENRICHED_TYPES) {
        const rows = stale.filter((r) => r.entity_type === entityType);
        if (rows.length === 0) continue;
        const scope = emptyScope(rows.map((r) => r.tenant_id));
        scope.ids = [...new Set(rows.map((r) => r.id))];
        // Recomputed from a snapshot taken now, not from what the check read.
        await io.execute(currentTableName(entityType), enrichmentStatement(warehouse, entityType, scope));
      }
      for (const tenant of new Set(stale.map((r) => r.tenant_id))) forget(tenant);
    },
  };
}

type MutableScope = { -readonly [K in keyof EnrichmentScope]: string[] };
const emptyScope = (tenants: readonly string[]): MutableScope => ({
  tenants: [...new Set(tenants)],
  ids: [],
  desk: [],
  room: [],
  floor: [],
  building: [],
  member: [],
  team: [],
});

/**
 * Which rows of which enriched tables a batch's applied events make worth checking: the
 * bookings and visits it applied (their staged enrichment came from the cache), and the
 * rows that reference a desk, room, floor, building, member or team it applied.
 */
export function enrichmentScopes(applied: readonly DomainEvent[]): Partial<Record<EnrichedType, EnrichmentScope>> {
  const refs = emptyScope([]);
  const refTenants = new Set<string>();
  const own = new Map<EnrichedType, { tenants: Set<string>; ids: Set<string> }>();
  for (const e of applied) {
    if (REF_TYPE_SET.has(e.entityType)) {
      refs[e.entityType as RefType].push(e.entityId);
      refTenants.add(e.tenantId);
    } else if (isEnriched(e.entityType) && !e.tombstone) {
      const type = e.entityType as EnrichedType;
      let of = own.get(type);
      if (!of) own.set(type, (of = { tenants: new Set(), ids: new Set() }));
      of.tenants.add(e.tenantId);
      of.ids.add(e.entityId);
    }
  }
  const changed = (...types: RefType[]) => types.some((t) => refs[t].length > 0);
  // Only the tables whose enrichment can depend on what changed.
  const affected: Record<EnrichedType, boolean> = {
    desk_booking: changed('desk', 'floor', 'building', 'member', 'team'),
    room_booking: changed('room', 'floor', 'building', 'member', 'team'),
    visit: changed('building', 'member', 'team'),
  };
  const unique = (ids: string[]) => [...new Set(ids)];
  const scopes: Partial<Record<EnrichedType, EnrichmentScope>> = {};
  for (const type of ENRICHED_TYPES) {
    const of = own.get(type);
    if (!of && !affected[type]) continue;
    scopes[type] = {
      tenants: [...new Set([...(of?.tenants ?? []), ...(affected[type] ? refTenants : [])])],
      ids: [...(of?.ids ?? [])],
      desk: type === 'desk_booking' ? unique(refs.desk) : [],
      room: type === 'room_booking' ? unique(refs.room) : [],
      floor: type === 'visit' ? [] : unique(refs.floor),
      building: unique(refs.building),
      member: unique(refs.member),
      team: unique(refs.team),
    };
  }
  return scopes;
}

function memberOf(e: DomainEvent): string | undefined {
  if (e.tombstone) return undefined;
  if (e.entityType === 'desk_booking') return (e.data as EntityStateByType['desk_booking']).memberId;
  if (e.entityType === 'room_booking') return (e.data as EntityStateByType['room_booking']).organizerId;
  if (e.entityType === 'visit') return (e.data as EntityStateByType['visit']).hostId;
  return undefined;
}

function placeType(e: DomainEvent): 'desk' | 'room' {
  return e.entityType === 'room_booking' ? 'room' : 'desk';
}

function placeOf(e: DomainEvent): string | undefined {
  if (e.tombstone) return undefined;
  if (e.entityType === 'desk_booking') return (e.data as EntityStateByType['desk_booking']).deskId;
  if (e.entityType === 'room_booking') return (e.data as EntityStateByType['room_booking']).roomId;
  return undefined;
}
