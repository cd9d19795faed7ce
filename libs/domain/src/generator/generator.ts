import type {
  Building,
  Desk,
  DeskBooking,
  EntityStateByType,
  EntityType,
  Floor,
  Member,
  Room,
  RoomBooking,
  Team,
  Visit,
} from '../entities';
import { createCloudEvent, type CloudEventEnvelope, type EventAction, type Tombstone } from '../events';
import { DEFAULT_MAX_EVENT_BYTES, type ProblemCode } from '../validation';
import { MinHeap } from './heap';
import { Random } from './random';

/**
 * A seeded, deterministic generator of realistic hybrid-workplace event streams.
 * Same options → byte-identical stream. It simulates day by day: reference data
 * first, then desk bookings, room bookings and visits planned up to ten days ahead
 * with working-week patterns, each with its lifecycle (check-in, cancellation,
 * no-show, completion), plus occasional reference-data changes. Delivery faults —
 * duplicates, reordering, late events, malformed messages — are opt-in.
 */
export interface GeneratorOptions {
  seed: number;
  /** Number of tenants (default 2). */
  tenants?: number;
  /** Number of simulated days of bookings, from `startDate` (default 10). */
  days?: number;
  /** First booking day, `YYYY-MM-DD` (default 2026-01-05, a Monday). */
  startDate?: string;
  buildingsPerTenant?: number;
  floorsPerBuilding?: number;
  desksPerFloor?: number;
  roomsPerFloor?: number;
  teamsPerTenant?: number;
  membersPerTenant?: number;
  /** Mean visitors per building on a busy weekday (default 3). */
  visitsPerBuildingPerDay?: number;
  /** Fraction of messages delivered a second time (default 0). */
  duplicates?: number;
  /** Fraction of events delivered after newer ones, by seconds to minutes (default 0). */
  reorder?: number;
  /** Fraction of events delivered hours to days after they happened (default 0). */
  late?: number;
  /** Extra malformed messages, as a fraction of events (default 0). */
  malformed?: number;
  /** Size limit the PAYLOAD_TOO_LARGE messages exceed (default DEFAULT_MAX_EVENT_BYTES). */
  maxEventBytes?: number;
  /** Attach the per-entity `seq` extension (default true). */
  sequences?: boolean;
}

export type GeneratedKind = 'event' | 'duplicate' | 'malformed';

export interface GeneratedMessage {
  /** Kafka key: tenant and entity, so one entity's events share a partition. */
  readonly key: string;
  /** The message body exactly as it goes on the wire. */
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly kind: GeneratedKind;
  /** The envelope of a valid event or duplicate; absent for malformed messages. */
  readonly event?: CloudEventEnvelope;
  /** When the generator delivered it (simulated wall clock, epoch ms). */
  readonly arrivalMs: number;
  /** True when delivery was delayed by hours or days (a late event). */
  readonly late: boolean;
  /** For malformed messages: the problem validation must report. */
  readonly expectedProblem?: { code: ProblemCode; path: string };
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const BOOKING_HORIZON_DAYS = 10;
// Share of members who come in, by weekday (Sunday first): the mid-week peak of hybrid offices.
const WEEKDAY_DEMAND = [0.02, 0.4, 0.68, 0.72, 0.62, 0.3, 0.03];

const TENANT_NAMES = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne'];
const CITIES = [
  { city: 'Berlin', countryCode: 'DE', timezone: 'Europe/Berlin' },
  { city: 'London', countryCode: 'GB', timezone: 'Europe/London' },
  { city: 'New York', countryCode: 'US', timezone: 'America/New_York' },
  { city: 'Austin', countryCode: 'US', timezone: 'America/Chicago' },
  { city: 'Amsterdam', countryCode: 'NL', timezone: 'Europe/Amsterdam' },
  { city: 'Singapore', countryCode: 'SG', timezone: 'Asia/Singapore' },
  { city: 'Sydney', countryCode: 'AU', timezone: 'Australia/Sydney' },
  { city: 'Toronto', countryCode: 'CA', timezone: 'America/Toronto' },
];
const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Liam',
  'Mira',
  'Noah',
  'Olga',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tess',
];
const LAST_NAMES = [
  'Berg',
  'Costa',
  'Dubois',
  'Eze',
  'Fischer',
  'Garcia',
  'Hansen',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Meyer',
  'Novak',
  'Okafor',
  'Patel',
  'Rossi',
  'Silva',
  'Tanaka',
];
const TEAM_NAMES = ['Platform', 'Payments', 'Design', 'Sales', 'Support', 'Data', 'People', 'Finance', 'Marketing', 'Security'];
const DESK_FEATURES = ['monitor', 'dual-monitor', 'standing', 'dock', 'window'];
const ROOM_FEATURES = ['video', 'whiteboard', 'screen', 'phone'];
const COMPANIES = ['Contoso', 'Fabrikam', 'Northwind', 'Tailspin', 'Litware', null];

interface Scheduled {
  tenantId: string;
  entityType: EntityType;
  action: EventAction;
  timeMs: number;
  seq: number;
  data: EntityStateByType[EntityType] | Tombstone;
}

interface TenantWorld {
  tenantId: string;
  buildings: Building[];
  floors: Map<string, Floor[]>;
  desks: Map<string, Desk[]>;
  rooms: Map<string, Room[]>;
  teams: Team[];
  members: (Member & { homeBuildingId: string; propensity: number })[];
}

/** Generates the whole stream into memory. Prefer `generateEvents` for large streams. */
export function generateEventList(options: GeneratorOptions): GeneratedMessage[] {
  return [...generateEvents(options)];
}

/** Streams generated messages in delivery order, holding only a few days of events in memory. */
export function* generateEvents(options: GeneratorOptions): Generator<GeneratedMessage> {
  const o = withDefaults(options);
  const rng = new Random(o.seed);
  const start = parseDay(o.startDate);
  const end = start + o.days * DAY_MS;
  const simStart = start - BOOKING_HORIZON_DAYS * DAY_MS;

  const byTime = new MinHeap<Scheduled>();
  const byArrival = new MinHeap<GeneratedMessage>();
  const seqs = new Map<string, number>();
  const schedule = (tenantId: string, entityType: EntityType, action: EventAction, timeMs: number, data: Scheduled['data']) => {
    const key = `${tenantId}/${data.id}`;
    const seq = (seqs.get(key) ?? -1) + 1;
    seqs.set(key, seq);
    // Snapshot: later lifecycle steps mutate the working copy.
    byTime.push(timeMs, { tenantId, entityType, action, timeMs, seq, data: { ...data } });
  };

  const worlds = Array.from({ length: o.tenants }, (_, i) => buildWorld(rng, o, i));
  for (const world of worlds) scheduleReferenceData(world, simStart - DAY_MS, schedule);

  for (let day = simStart; day < end; day += DAY_MS) {
    const target = day + BOOKING_HORIZON_DAYS * DAY_MS;
    for (const world of worlds) {
      if (target >= start && target < end) {
        planDeskBookings(rng, world, target, schedule);
        planRoomBookings(rng, world, target, schedule);
        planVisits(rng, o, world, target, schedule);
      }
      if (day >= start) planReferenceChanges(rng, world, day, schedule);
    }
    const dayEnd = day + DAY_MS;
    // Changes scheduled at or after `end` lie in the simulated future and are not emitted:
    // bookings for the last days may stay "booked", as they would in a live system.
    while ((byTime.peekKey() ?? Infinity) < Math.min(dayEnd, end)) deliver(rng, o, byTime.pop() as Scheduled, byArrival);
    while ((byArrival.peekKey() ?? Infinity) < dayEnd) yield byArrival.pop() as GeneratedMessage;
  }
  while (byArrival.size > 0) yield byArrival.pop() as GeneratedMessage;
}

function withDefaults(options: GeneratorOptions): Required<GeneratorOptions> {
  return {
    tenants: 2,
    days: 10,
    startDate: '2026-01-05',
    buildingsPerTenant: 2,
    floorsPerBuilding: 3,
    desksPerFloor: 12,
    roomsPerFloor: 3,
    teamsPerTenant: 5,
    membersPerTenant: 60,
    visitsPerBuildingPerDay: 3,
    duplicates: 0,
    reorder: 0,
    late: 0,
    malformed: 0,
    maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
    sequences: true,
    ...options,
  };
}

function buildWorld(rng: Random, o: Required<GeneratorOptions>, index: number): TenantWorld {
  const base = TENANT_NAMES[index % TENANT_NAMES.length] as string;
  const tenantId = index < TENANT_NAMES.length ? base : `${base}-${Math.floor(index / TENANT_NAMES.length)}`;
  const world: TenantWorld = { tenantId, buildings: [], floors: new Map(), desks: new Map(), rooms: new Map(), teams: [], members: [] };
  const id = (prefix: string) => `${prefix}_${rng.hex(12)}`;

  for (let b = 0; b < o.buildingsPerTenant; b++) {
    const place = CITIES[(index + b) % CITIES.length] as (typeof CITIES)[number];
    const building: Building = {
      id: id('bld'),
      name: `${place.city} ${b < CITIES.length ? 'HQ' : `Office ${b}`}`,
      address: `${rng.int(1, 250)} Example Street`,
      ...place,
    };
    world.buildings.push(building);
    const floors: Floor[] = [];
    const desks: Desk[] = [];
    const rooms: Room[] = [];
    for (let f = 0; f < o.floorsPerBuilding; f++) {
      const floor: Floor = { id: id('flr'), buildingId: building.id, name: `Floor ${f + 1}`, level: f + 1 };
      floors.push(floor);
      for (let d = 0; d < o.desksPerFloor; d++) {
        desks.push({
          id: id('dsk'),
          floorId: floor.id,
          label: `${f + 1}.${String(d + 1).padStart(2, '0')}`,
          features: DESK_FEATURES.filter(() => rng.chance(0.3)),
          bookable: rng.chance(0.95),
        });
      }
      for (let r = 0; r < o.roomsPerFloor; r++) {
        rooms.push({
          id: id('rom'),
          floorId: floor.id,
          name: `Room ${f + 1}${String.fromCharCode(65 + r)}`,
          capacity: rng.pick([4, 6, 8, 12, 20]),
          features: ROOM_FEATURES.filter(() => rng.chance(0.5)),
          bookable: true,
        });
      }
    }
    world.floors.set(building.id, floors);
    world.desks.set(building.id, desks);
    world.rooms.set(building.id, rooms);
  }
  for (let t = 0; t < o.teamsPerTenant; t++) {
    world.teams.push({ id: id('team'), name: TEAM_NAMES[t % TEAM_NAMES.length] as string, costCenter: `CC-${rng.int(1000, 9999)}` });
  }
  for (let m = 0; m < o.membersPerTenant; m++) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    world.members.push({
      id: id('mbr'),
      teamId: world.teams.length > 0 ? rng.pick(world.teams).id : null,
      email: `${first}.${last}.${m}@${tenantId}.example.com`.toLowerCase(),
      displayName: `${first} ${last}`,
      role: rng.chance(0.05) ? 'admin' : rng.chance(0.1) ? 'contractor' : 'employee',
      active: true,
      homeBuildingId: rng.pick(world.buildings).id,
      propensity: 0.5 + rng.next() * 0.5,
    });
  }
  return world;
}

type ScheduleFn = (tenantId: string, entityType: EntityType, action: EventAction, timeMs: number, data: Scheduled['data']) => void;

function scheduleReferenceData(world: TenantWorld, at: number, schedule: ScheduleFn): void {
  let t = at + 6 * 60 * MINUTE_MS;
  const next = () => (t += 1000);
  for (const building of world.buildings) {
    schedule(world.tenantId, 'building', 'created', next(), building);
    for (const floor of world.floors.get(building.id) ?? []) schedule(world.tenantId, 'floor', 'created', next(), floor);
    for (const desk of world.desks.get(building.id) ?? []) schedule(world.tenantId, 'desk', 'created', next(), desk);
    for (const room of world.rooms.get(building.id) ?? []) schedule(world.tenantId, 'room', 'created', next(), room);
  }
  for (const team of world.teams) schedule(world.tenantId, 'team', 'created', next(), team);
  for (const member of world.members) schedule(world.tenantId, 'member', 'created', next(), memberState(member));
}

function memberState(member: TenantWorld['members'][number]): Member {
  const { homeBuildingId: _home, propensity: _propensity, ...state } = member;
  return state;
}

function planDeskBookings(rng: Random, world: TenantWorld, date: number, schedule: ScheduleFn): void {
  const demand = WEEKDAY_DEMAND[new Date(date).getUTCDay()] as number;
  const taken = new Set<string>();
  for (const member of world.members) {
    if (!member.active || !rng.chance(demand * member.propensity)) continue;
    const building = world.buildings.find((b) => b.id === member.homeBuildingId) as Building;
    const free = (world.desks.get(building.id) ?? []).filter((d) => d.bookable && !taken.has(d.id));
    if (free.length === 0) continue;
    const desk = rng.pick(free);
    taken.add(desk.id);
    const startTime = localTime(date, rng.pick([8, 8, 9, 9, 9, 10]), rng.pick([0, 30]), building.timezone);
    const booking: DeskBooking = {
      id: `dbk_${rng.hex(16)}`,
      deskId: desk.id,
      memberId: member.id,
      date: isoDay(date),
      startTime: iso(startTime),
      endTime: iso(startTime + rng.pick([4, 8, 8, 9]) * 60 * MINUTE_MS),
      status: 'booked',
      checkedInAt: null,
      cancelledAt: null,
    };
    const createdAt = bookingCreatedAt(rng, date, startTime);
    scheduleLifecycle(rng, world.tenantId, 'desk_booking', booking, createdAt, startTime, schedule);
  }
}

function planRoomBookings(rng: Random, world: TenantWorld, date: number, schedule: ScheduleFn): void {
  const demand = WEEKDAY_DEMAND[new Date(date).getUTCDay()] as number;
  for (const building of world.buildings) {
    const locals = world.members.filter((m) => m.active && m.homeBuildingId === building.id);
    if (locals.length === 0) continue;
    for (const room of world.rooms.get(building.id) ?? []) {
      let freeFrom = 9 * 60;
      while (freeFrom < 17 * 60) {
        const startMinute = freeFrom + rng.pick([0, 30, 60, 90]);
        const duration = rng.pick([30, 30, 60, 60, 90]);
        if (startMinute + duration > 18 * 60) break;
        freeFrom = startMinute + duration;
        if (!rng.chance(demand * 0.45)) continue;
        const startTime = localTime(date, Math.floor(startMinute / 60), startMinute % 60, building.timezone);
        const booking: RoomBooking = {
          id: `rbk_${rng.hex(16)}`,
          roomId: room.id,
          organizerId: rng.pick(locals).id,
          title: rng.pick(['Standup', '1:1', 'Planning', 'Customer call', 'Interview', 'Retro', null]),
          startTime: iso(startTime),
          endTime: iso(startTime + duration * MINUTE_MS),
          attendeeCount: rng.int(1, room.capacity),
          status: 'booked',
          checkedInAt: null,
          cancelledAt: null,
        };
        scheduleLifecycle(rng, world.tenantId, 'room_booking', booking, bookingCreatedAt(rng, date, startTime), startTime, schedule);
      }
    }
  }
}

function planVisits(rng: Random, o: Required<GeneratorOptions>, world: TenantWorld, date: number, schedule: ScheduleFn): void {
  const demand = WEEKDAY_DEMAND[new Date(date).getUTCDay()] as number;
  for (const building of world.buildings) {
    const hosts = world.members.filter((m) => m.active && m.homeBuildingId === building.id);
    if (hosts.length === 0) continue;
    const count = rng.poisson(o.visitsPerBuildingPerDay * demand * 1.5);
    for (let v = 0; v < count; v++) {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const expectedAt = localTime(date, rng.int(9, 16), rng.pick([0, 15, 30, 45]), building.timezone);
      const company = rng.pick(COMPANIES);
      const visit: Visit = {
        id: `vis_${rng.hex(16)}`,
        hostId: rng.pick(hosts).id,
        buildingId: building.id,
        visitorName: `${first} ${last}`,
        visitorEmail: rng.chance(0.7) ? `${first}.${last}@${(company ?? 'mail').toLowerCase()}.example.org`.toLowerCase() : null,
        visitorCompany: company,
        expectedAt: iso(expectedAt),
        status: 'booked',
        arrivedAt: null,
        departedAt: null,
      };
      scheduleLifecycle(rng, world.tenantId, 'visit', visit, bookingCreatedAt(rng, date, expectedAt), expectedAt, schedule);
    }
  }
}

type Lifecycled = DeskBooking | RoomBooking | Visit;

/**
 * created → (sometimes updated) → cancelled | no_show | checked_in → completed.
 * Rates follow what workplace tools report: roughly one booking in eight cancelled and
 * one in twelve a no-show.
 */
function scheduleLifecycle(
  rng: Random,
  tenantId: string,
  entityType: 'desk_booking' | 'room_booking' | 'visit',
  state: Lifecycled,
  createdAt: number,
  startsAt: number,
  schedule: ScheduleFn,
): void {
  schedule(tenantId, entityType, 'created', createdAt, state);
  // Each step happens after the previous one, so event time and `seq` agree.
  let cursor = createdAt;
  const after = (to: number) => (cursor = cursor + MINUTE_MS + Math.floor(rng.next() * Math.max(0, to - cursor - MINUTE_MS)));
  if (rng.chance(0.1) && 'endTime' in state) {
    // A changed end time (leaving early / staying late), announced before the day.
    const end = Date.parse(state.endTime) + rng.pick([-60, 60]) * MINUTE_MS;
    if (end > startsAt) {
      state.endTime = iso(end);
      schedule(tenantId, entityType, 'updated', after(startsAt), state);
    }
  }
  if (rng.chance(0.12)) {
    const at = after(startsAt);
    state.status = 'cancelled';
    if (entityType !== 'visit') (state as DeskBooking | RoomBooking).cancelledAt = iso(at);
    schedule(tenantId, entityType, 'cancelled', at, state);
    return;
  }
  if (rng.chance(0.08)) {
    state.status = 'no_show';
    // Unclaimed bookings are released two hours after they start.
    schedule(tenantId, entityType, 'no_show', Math.max(startsAt + 120 * MINUTE_MS, cursor + MINUTE_MS), state);
    return;
  }
  // Arrivals cluster around the start, but never after the booking is over.
  const ends = 'endTime' in state ? Date.parse(state.endTime) : startsAt + 60 * MINUTE_MS;
  const latest = Math.max(startsAt, ends - 2 * MINUTE_MS);
  const arrived = Math.max(Math.min(startsAt + rng.int(-15, 45) * MINUTE_MS + rng.int(0, 59) * 1000, latest), cursor + MINUTE_MS);
  state.status = 'checked_in';
  if (entityType === 'visit') (state as Visit).arrivedAt = iso(arrived);
  else (state as DeskBooking | RoomBooking).checkedInAt = iso(arrived);
  schedule(tenantId, entityType, 'checked_in', arrived, state);
  const done = 'endTime' in state ? Date.parse(state.endTime) : arrived + rng.int(30, 240) * MINUTE_MS;
  state.status = 'completed';
  if (entityType === 'visit') (state as Visit).departedAt = iso(Math.max(done, arrived + MINUTE_MS));
  schedule(tenantId, entityType, 'completed', Math.max(done, arrived + MINUTE_MS), state);
}

function planReferenceChanges(rng: Random, world: TenantWorld, day: number, schedule: ScheduleFn): void {
  // Changes of one day happen in order, so event time and `seq` agree.
  let cursor = day + 8 * 60 * MINUTE_MS;
  const at = () => (cursor += rng.int(1, 120) * MINUTE_MS + rng.int(0, 59) * 1000);
  if (rng.chance(0.3) && world.teams.length > 1) {
    const member = rng.pick(world.members);
    member.teamId = rng.pick(world.teams).id;
    schedule(world.tenantId, 'member', 'updated', at(), memberState(member));
  }
  if (rng.chance(0.05)) {
    const member = rng.pick(world.members);
    if (member.active) {
      member.active = false;
      schedule(world.tenantId, 'member', 'updated', at(), memberState(member));
    }
  }
  if (rng.chance(0.15)) {
    const desks = world.desks.get(rng.pick(world.buildings).id) ?? [];
    const desk = desks.length > 0 ? rng.pick(desks) : undefined;
    if (desk) {
      desk.features = DESK_FEATURES.filter(() => rng.chance(0.4));
      schedule(world.tenantId, 'desk', 'updated', at(), desk);
    }
  }
  if (rng.chance(0.03)) {
    const desks = world.desks.get(rng.pick(world.buildings).id) ?? [];
    const index = desks.length > 1 ? rng.int(0, desks.length - 1) : -1;
    const [removed] = index >= 0 ? desks.splice(index, 1) : [];
    if (removed) schedule(world.tenantId, 'desk', 'deleted', at(), { id: removed.id });
  }
}

function bookingCreatedAt(rng: Random, date: number, startsAt: number): number {
  // Most bookings are made a few days ahead; some the same morning.
  const leadDays = Math.min(BOOKING_HORIZON_DAYS, Math.floor(-Math.log(1 - rng.next()) * 3));
  const created = date - leadDays * DAY_MS + rng.int(7 * 60, 19 * 60) * MINUTE_MS + rng.int(0, 59) * 1000;
  return Math.min(created, startsAt - 5 * MINUTE_MS);
}

/** Turns a scheduled change into messages: the event, maybe a duplicate, maybe a malformed sibling. */
function deliver(rng: Random, o: Required<GeneratorOptions>, s: Scheduled, out: MinHeap<GeneratedMessage>): void {
  const event = createCloudEvent({
    id: rng.uuid(),
    tenantId: s.tenantId,
    entityType: s.entityType,
    action: s.action,
    time: iso(s.timeMs),
    data: s.data as never,
    ...(o.sequences ? { seq: s.seq } : {}),
  });
  const key = `${s.tenantId}/${s.data.id}`;
  const headers = { traceparent: `00-${rng.hex(32)}-${rng.hex(16)}-01` };
  const value = JSON.stringify(event);
  let arrival = s.timeMs + rng.int(20, 800);
  let late = false;
  if (rng.chance(o.late)) {
    arrival += rng.int(60, 3 * 24 * 60) * MINUTE_MS;
    late = true;
  } else if (rng.chance(o.reorder)) {
    arrival += rng.int(1, 600) * 1000;
  }
  out.push(arrival, { key, value, headers, kind: 'event', event, arrivalMs: arrival, late });
  if (rng.chance(o.duplicates)) {
    const again = arrival + rng.int(100, 900_000);
    out.push(again, { key, value, headers, kind: 'duplicate', event, arrivalMs: again, late });
  }
  if (rng.chance(o.malformed)) {
    const bad = malform(rng, o, event);
    const at = arrival + rng.int(1, 5000);
    out.push(at, { key, headers, kind: 'malformed', arrivalMs: at, late: false, ...bad });
  }
}

function malform(
  rng: Random,
  o: Required<GeneratorOptions>,
  event: CloudEventEnvelope,
): { value: string; expectedProblem: { code: ProblemCode; path: string } } {
  const copy = JSON.parse(JSON.stringify({ ...event, id: rng.uuid() })) as Record<string, unknown> & { data: Record<string, unknown> };
  switch (rng.int(0, 5)) {
    case 0: {
      const text = JSON.stringify(copy);
      return { value: text.slice(0, Math.floor(text.length / 2)), expectedProblem: { code: 'MALFORMED_JSON', path: '' } };
    }
    case 1:
      delete copy['tenantid'];
      return { value: JSON.stringify(copy), expectedProblem: { code: 'MISSING_TENANT', path: '/tenantid' } };
    case 2:
      copy['type'] = `phoenix.${String(copy['type']).split('.')[1]}.archived`;
      return { value: JSON.stringify(copy), expectedProblem: { code: 'UNKNOWN_EVENT_TYPE', path: '/type' } };
    case 3:
      copy['time'] = 'yesterday afternoon';
      return { value: JSON.stringify(copy), expectedProblem: { code: 'INVALID_FIELD', path: '/time' } };
    case 4:
      delete copy.data['id'];
      return { value: JSON.stringify(copy), expectedProblem: { code: 'MISSING_FIELD', path: '/data/id' } };
    default:
      copy['padding'] = 'x'.repeat(o.maxEventBytes);
      return { value: JSON.stringify(copy), expectedProblem: { code: 'PAYLOAD_TOO_LARGE', path: '' } };
  }
}

function parseDay(day: string): number {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`generator: startDate must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoDay(ms: number): string {
  return iso(ms).slice(0, 10);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
/** Epoch ms of a wall-clock time on `date` (UTC midnight of the day) in `timeZone`. */
function localTime(date: number, hour: number, minute: number, timeZone: string): number {
  const guess = date + (hour * 60 + minute) * MINUTE_MS;
  let fmt = offsetFormatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    offsetFormatters.set(timeZone, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(guess).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(
    Number(parts['year']),
    Number(parts['month']) - 1,
    Number(parts['day']),
    Number(parts['hour']),
    Number(parts['minute']),
  );
  return guess - (asUtc - guess);
}
