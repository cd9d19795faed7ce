/**
 * An independent model of what the warehouse must hold after ingesting a stream,
 * written without the pipeline's code (no compareEventOrder, no versionRow): the
 * property tests compare the real warehouse against it.
 */
import { validateEvent, type DomainEvent } from '@phoenix/domain';
import { type GeneratedMessage } from '@phoenix/fixtures';

export interface ExpectedCurrent {
  tenant_id: string;
  id: string;
  deleted: boolean;
  event_id: string;
  /** Entity fields, snake_case, as the event carried them (null for tombstones). */
  fields: Record<string, unknown>;
}

export interface ExpectedWarehouse {
  /** entity type → "tenant/id" → expected current row */
  current: Map<string, Map<string, ExpectedCurrent>>;
  /** entity type → sorted "tenant/id/event id@valid time (epoch ms)" of every distinct version */
  history: Map<string, string[]>;
  /** sorted "tenant/event id" of every distinct valid event */
  raw: string[];
  deadLetters: number;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function later(a: DomainEvent, b: DomainEvent): boolean {
  // (event time, sequence with "absent" lowest, event id) — the rule in docs/data-model.md.
  const ka = [a.timeMs, a.seq === null ? -1 : a.seq];
  const kb = [b.timeMs, b.seq === null ? -1 : b.seq];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as number) > (kb[i] as number);
  return a.id > b.id;
}

export function foldStream(messages: readonly Pick<GeneratedMessage, 'value'>[], maxBytes?: number): ExpectedWarehouse {
  const distinct = new Map<string, DomainEvent>();
  let deadLetters = 0;
  for (const m of messages) {
    const result = validateEvent(m.value, maxBytes === undefined ? {} : { maxBytes });
    if (!result.ok) {
      deadLetters++;
      continue;
    }
    distinct.set(`${result.event.tenantId}/${result.event.id}`, result.event);
  }
  const current = new Map<string, Map<string, ExpectedCurrent>>();
  const history = new Map<string, string[]>();
  const winners = new Map<string, DomainEvent>();
  for (const e of distinct.values()) {
    const key = `${e.entityType}|${e.tenantId}/${e.entityId}`;
    const seen = winners.get(key);
    if (!seen || later(e, seen)) winners.set(key, e);
    history.set(e.entityType, [...(history.get(e.entityType) ?? []), `${e.tenantId}/${e.entityId}/${e.id}@${e.timeMs}`]);
  }
  for (const e of winners.values()) {
    const fields: Record<string, unknown> = {};
    if (!e.tombstone) for (const [k, v] of Object.entries(e.data)) if (k !== 'id') fields[snake(k)] = v ?? null;
    const byEntity = current.get(e.entityType) ?? new Map<string, ExpectedCurrent>();
    byEntity.set(`${e.tenantId}/${e.entityId}`, { tenant_id: e.tenantId, id: e.entityId, deleted: e.tombstone, event_id: e.id, fields });
    current.set(e.entityType, byEntity);
  }
  for (const list of history.values()) list.sort();
  return { current, history, raw: [...distinct.keys()].sort(), deadLetters };
}

/** The enrichment columns of a booking or visit's current row. */
export type ExpectedEnrichment = Record<string, string | boolean | null>;

/**
 * The enrichment every booking and visit must carry once the stream has settled, from
 * the expected current rows alone, by the rules of docs/data-model.md (Enrichment
 * columns), written without the pipeline's code or SQL: a reference counts when its
 * current row exists and is not deleted; ids name only such references; `enriched` needs
 * the place (desk or room), its floor, that floor's building, the member (organizer,
 * host) and, when the member has a team, that team. A deleted booking has no enrichment.
 * Returns entity type → "tenant/id" → columns.
 */
export function foldEnrichment(expected: ExpectedWarehouse): Map<string, Map<string, ExpectedEnrichment>> {
  const live = (type: string, tenant: string, id: unknown): Record<string, unknown> | undefined => {
    if (typeof id !== 'string') return undefined;
    const row = expected.current.get(type)?.get(`${tenant}/${id}`);
    return row && !row.deleted ? row.fields : undefined;
  };
  const out = new Map<string, Map<string, ExpectedEnrichment>>();
  const places = { desk_booking: ['desk', 'desk_id', 'member_id'], room_booking: ['room', 'room_id', 'organizer_id'] } as const;
  for (const type of ['desk_booking', 'room_booking', 'visit'] as const) {
    const rows = new Map<string, ExpectedEnrichment>();
    for (const [key, row] of expected.current.get(type) ?? []) {
      const t = row.tenant_id;
      const columns: ExpectedEnrichment =
        type === 'visit'
          ? { building_name: null, timezone: null, team_id: null, team_name: null, enriched: null }
          : {
              floor_id: null,
              floor_name: null,
              building_id: null,
              building_name: null,
              timezone: null,
              team_id: null,
              team_name: null,
              enriched: null,
            };
      if (!row.deleted) {
        const member = live('member', t, row.fields[type === 'visit' ? 'host_id' : places[type][2]]);
        const team = member ? live('team', t, member['team_id']) : undefined;
        const teamOk = member !== undefined && (member['team_id'] === null || member['team_id'] === undefined || team !== undefined);
        columns['team_id'] = team ? (member?.['team_id'] as string) : null;
        columns['team_name'] = team ? (team['name'] as string) : null;
        if (type === 'visit') {
          const building = live('building', t, row.fields['building_id']);
          columns['building_name'] = (building?.['name'] as string | undefined) ?? null;
          columns['timezone'] = (building?.['timezone'] as string | undefined) ?? null;
          columns['enriched'] = building !== undefined && teamOk;
        } else {
          const place = live(places[type][0], t, row.fields[places[type][1]]);
          const floor = place ? live('floor', t, place['floor_id']) : undefined;
          const building = floor ? live('building', t, floor['building_id']) : undefined;
          columns['floor_id'] = floor ? (place?.['floor_id'] as string) : null;
          columns['floor_name'] = (floor?.['name'] as string | undefined) ?? null;
          columns['building_id'] = building ? (floor?.['building_id'] as string) : null;
          columns['building_name'] = (building?.['name'] as string | undefined) ?? null;
          columns['timezone'] = (building?.['timezone'] as string | undefined) ?? null;
          columns['enriched'] = place !== undefined && floor !== undefined && building !== undefined && teamOk;
        }
      }
      rows.set(key, columns);
    }
    out.set(type, rows);
  }
  return out;
}

/**
 * The outcome each message of one partition must be counted under, in offset order, by
 * the definitions of docs/ingest.md (Accounting), from the partition's messages alone:
 * dead-lettered when invalid, duplicate when its event id (per tenant) came at an earlier
 * offset, applied when newer than every version of its entity that came before it,
 * superseded otherwise. One entity's events share a key, so a partition holds them all.
 */
export function foldOutcomes(values: readonly string[], maxBytes?: number): ('applied' | 'duplicate' | 'superseded' | 'dead_lettered')[] {
  const seen = new Set<string>();
  const newest = new Map<string, DomainEvent>();
  return values.map((value) => {
    const result = validateEvent(value, maxBytes === undefined ? {} : { maxBytes });
    if (!result.ok) return 'dead_lettered';
    const e = result.event;
    if (seen.has(`${e.tenantId}/${e.id}`)) return 'duplicate';
    seen.add(`${e.tenantId}/${e.id}`);
    const key = `${e.entityType}|${e.tenantId}/${e.entityId}`;
    const before = newest.get(key);
    if (before && !later(e, before)) return 'superseded';
    newest.set(key, e);
    return 'applied';
  });
}
