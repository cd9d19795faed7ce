import { performance } from 'node:perf_hooks';
import { compareEventOrder, validateEvent, type DomainEvent, type EntityType } from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import type { Warehouse } from '@phoenix/bq';
import { applyEvents } from '@phoenix/bq/testing';

/**
 * The benchmark's warehouse content: the generator's stream (fixed seed) cut at a
 * simulated "now", so the tables look like a live system in mid-morning: past
 * bookings completed, cancelled or no-show, today's checked in or still booked,
 * the coming days' booked. The three operations' parameters and expected answers
 * come from the same events, so every response can be checked.
 */
export interface WorkloadOptions {
  seed: number;
  tenants: number;
  days: number;
  membersPerTenant: number;
  floorsPerBuilding: number;
  desksPerFloor: number;
  /** The simulated present: events after it are not written. */
  now: string;
}

export interface Workload {
  events: DomainEvent[];
  /** Messages the generator yielded, and how many were left out (not valid events, or after `now`). */
  generated: number;
  skipped: { invalid: number; afterNow: number };
  byEntityType: Record<string, number>;
  generateSeconds: number;
  /** The tenant every request is signed for (the first by name, acme). */
  tenantId: string;
  /** Today (the day of `now`) and the tenant's building with the most active desk bookings today. */
  day: string;
  building: { id: string; name: string };
  /** Active (booked or checked-in) desk bookings in that building today. */
  activeBookingsToday: number;
  /** Ids of the building's bookable desks with no active booking today: what `freeOn` must return. */
  freeDesks: string[];
  /** Live desk bookings of the tenant (any day) whose desk and member exist: the by-id operation cycles through them. */
  bookingIds: string[];
}

type Data = Record<string, unknown> & { id: string };

export function generateWorkload(options: WorkloadOptions): Workload {
  const started = performance.now();
  const nowMs = Date.parse(options.now);
  const { now: _now, ...generator } = options;
  const messages = generateEventList(generator);
  const events: DomainEvent[] = [];
  const skipped = { invalid: 0, afterNow: 0 };
  for (const message of messages) {
    // The stream has no injected faults, so every message should be a valid event; count anything else.
    const result = validateEvent(message.value);
    if (!result.ok) skipped.invalid++;
    else if (result.event.timeMs >= nowMs) skipped.afterNow++;
    else events.push(result.event);
  }
  const generateSeconds = (performance.now() - started) / 1000;
  const byEntityType: Record<string, number> = {};
  for (const e of events) byEntityType[e.entityType] = (byEntityType[e.entityType] ?? 0) + 1;

  // The current state as the warehouse will hold it: the latest version of each entity.
  const latest = new Map<string, DomainEvent>();
  for (const e of events) {
    const key = `${e.tenantId}\u0000${e.entityType}\u0000${e.entityId}`;
    const previous = latest.get(key);
    if (!previous || compareEventOrder(previous, e) < 0) latest.set(key, e);
  }
  // The first tenant by name (acme): the generator's first world.
  const tenantId = [...new Set(events.map((e) => e.tenantId))].sort()[0];
  if (!tenantId) throw new Error('the generator yielded no events before --now');
  const live = (type: EntityType): Data[] =>
    [...latest.values()].filter((e) => e.tenantId === tenantId && e.entityType === type && !e.tombstone).map((e) => e.data as Data);
  const byId = (type: EntityType) => new Map(live(type).map((d) => [d.id, d]));
  const buildings = byId('building');
  const floors = byId('floor');
  const desks = byId('desk');
  const members = byId('member');
  const buildingOfDesk = (deskId: unknown) =>
    floors.get(String(desks.get(String(deskId))?.['floorId']))?.['buildingId'] as string | undefined;

  const day = options.now.slice(0, 10);
  const active = (b: Data) => b['status'] === 'booked' || b['status'] === 'checked_in';
  const bookings = live('desk_booking');
  const today = bookings.filter((b) => b['date'] === day && active(b));
  const perBuilding = new Map<string, number>();
  for (const b of today) {
    const building = buildingOfDesk(b['deskId']);
    if (building) perBuilding.set(building, (perBuilding.get(building) ?? 0) + 1);
  }
  const [buildingId, activeBookingsToday] = [...perBuilding].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ['', 0];
  const building = buildings.get(buildingId);
  if (!building) throw new Error(`no desk bookings are active on ${day} (--now ${options.now}); pick a weekday inside the generated days`);

  const taken = new Set(today.map((b) => String(b['deskId'])));
  const freeDesks = [...desks.values()]
    .filter((d) => d['bookable'] === true && buildingOfDesk(d.id) === buildingId && !taken.has(d.id))
    .map((d) => d.id)
    .sort();
  // A deterministic spread over all days and both buildings: every 7th booking in id order.
  const bookingIds = bookings
    .filter((b) => desks.has(String(b['deskId'])) && members.has(String(b['memberId'])))
    .map((b) => b.id)
    .sort()
    .filter((_, i) => i % 7 === 0);

  return {
    events,
    generated: messages.length,
    skipped,
    byEntityType,
    generateSeconds,
    tenantId,
    day,
    building: { id: buildingId, name: String(building['name']) },
    activeBookingsToday,
    freeDesks,
    bookingIds,
  };
}

/**
 * Writes the events through libs/bq the way the ingest does (history, current,
 * enrichment), in stream order and in chunks: one `ARRAY<STRUCT>` parameter of
 * thousands of rows is slow on the emulator and large on the wire.
 */
export async function writeWorkload(
  warehouse: Warehouse,
  events: readonly DomainEvent[],
  chunk: number,
  onProgress: (written: number) => void,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < events.length; i += chunk) {
    await applyEvents(warehouse, events.slice(i, i + chunk));
    onProgress(Math.min(events.length, i + chunk));
  }
  return (performance.now() - started) / 1000;
}
