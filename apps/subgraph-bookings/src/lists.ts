import type { EntityType } from '@phoenix/domain';
import { isRealDate, isRealTimestamp } from '@phoenix/domain';
import type { Condition } from '@phoenix/bq';
import { badUserInput, type CursorKey, type PageArgs } from '@phoenix/subgraph';

/**
 * Every list field of the Query type: which table, which filters (GraphQL arguments →
 * warehouse conditions, validated here with errors that say what to fix) and which order.
 * The order column is never NULL on live rows; `id` breaks ties.
 */
export interface ListSpec {
  entityType: EntityType;
  where(args: ListArgs): Condition[];
  order(args: ListArgs): { column: string; direction: 'ASC' | 'DESC'; kind: 'string' | 'timestamp' | 'date' | 'int' };
}

/** The arguments of any list field (each field's own are checked against the SDL by the generated resolver types). */
export type ListArgs = PageArgs & { filter?: Record<string, unknown> | null; orderBy?: string | null; buildingId?: string | null };

// A bound on how much of a table one page may have to scan past: bookings are partitioned by day.
const MAX_RANGE_DAYS = 366;

function eq(column: string, value: unknown): Condition[] {
  return value === undefined || value === null ? [] : [{ column, op: '=', value }];
}

function statuses(value: unknown): Condition[] {
  if (value === undefined || value === null) return [];
  return [{ column: 'status', op: 'in', values: value as string[] }];
}

/** `from` ≤ column < `to`, with the range checked: not inverted, at most a year. */
function range(column: string, filter: Record<string, unknown>): Condition[] {
  const from = filter['from'] as string | undefined | null;
  const to = filter['to'] as string | undefined | null;
  if (from && to) {
    const span = Date.parse(to) - Date.parse(from);
    if (span <= 0) throw badUserInput('filter.to', `must be after filter.from (got from ${from}, to ${to})`);
    if (span > MAX_RANGE_DAYS * 86_400_000) throw badUserInput('filter.to', `the range may span at most ${MAX_RANGE_DAYS} days`);
  }
  return [...(from ? [{ column, op: '>=' as const, value: from }] : []), ...(to ? [{ column, op: '<' as const, value: to }] : [])];
}

const byName = (column: string) => () => ({ column, direction: 'ASC' as const, kind: 'string' as const });

const byStartTime = ({ orderBy }: ListArgs) =>
  ({ column: 'start_time', direction: orderBy === 'START_TIME_DESC' ? 'DESC' : 'ASC', kind: 'timestamp' }) as const;

/**
 * The filters desk and room bookings share: time range (then any of the list's own), place,
 * the booked resource and person (column, filter field), status.
 */
function bookingsOf(
  f: Record<string, unknown> | null | undefined,
  by: { resource: [column: string, field: string]; person: [column: string, field: string] },
  own: Condition[] = [],
): Condition[] {
  return [
    ...range('start_time', f ?? {}),
    ...own,
    ...eq('building_id', f?.['buildingId']),
    ...eq('floor_id', f?.['floorId']),
    ...eq(by.resource[0], f?.[by.resource[1]]),
    ...eq(by.person[0], f?.[by.person[1]]),
    ...statuses(f?.['status']),
  ];
}

/** The Query fields that are lists. */
export type ListField = 'buildings' | 'floors' | 'desks' | 'rooms' | 'teams' | 'members' | 'deskBookings' | 'roomBookings' | 'visits';

export const LISTS: Record<ListField, ListSpec> = {
  buildings: { entityType: 'building', where: () => [], order: byName('name') },
  floors: {
    entityType: 'floor',
    where: (args) => eq('building_id', args.buildingId),
    order: () => ({ column: 'level', direction: 'ASC', kind: 'int' }),
  },
  desks: {
    entityType: 'desk',
    where: ({ filter: f }) => [
      ...eq('floor_id', f?.['floorId']),
      ...(f?.['buildingId'] ? [{ kind: 'inBuilding' as const, buildingId: String(f['buildingId']) }] : []),
      // A desk nobody may book is not free.
      ...eq('bookable', f?.['bookable'] ?? (f?.['freeOn'] ? true : undefined)),
      ...(f?.['freeOn'] ? [{ kind: 'deskFreeOn' as const, date: String(f['freeOn']) }] : []),
    ],
    order: byName('label'),
  },
  rooms: {
    entityType: 'room',
    where: ({ filter: f }) => {
      const from = f?.['freeFrom'] as string | undefined;
      const to = f?.['freeTo'] as string | undefined;
      if (Boolean(from) !== Boolean(to)) throw badUserInput('filter.freeTo', 'freeFrom and freeTo go together: give both or neither');
      if (from && to && Date.parse(to) <= Date.parse(from)) throw badUserInput('filter.freeTo', 'must be after filter.freeFrom');
      const minCapacity = f?.['minCapacity'] as number | undefined | null;
      if (minCapacity !== undefined && minCapacity !== null && minCapacity < 1)
        throw badUserInput('filter.minCapacity', 'must be at least 1');
      return [
        ...eq('floor_id', f?.['floorId']),
        ...(f?.['buildingId'] ? [{ kind: 'inBuilding' as const, buildingId: String(f['buildingId']) }] : []),
        ...eq('bookable', f?.['bookable'] ?? (from ? true : undefined)),
        ...(minCapacity ? [{ column: 'capacity', op: '>=' as const, value: minCapacity }] : []),
        ...(from && to ? [{ kind: 'roomFreeBetween' as const, from, to }] : []),
      ];
    },
    order: byName('name'),
  },
  teams: { entityType: 'team', where: () => [], order: byName('name') },
  members: {
    entityType: 'member',
    where: ({ filter: f }) => [...eq('team_id', f?.['teamId']), ...eq('active', f?.['active'])],
    order: byName('id'),
  },
  deskBookings: {
    entityType: 'desk_booking',
    where: ({ filter: f }) =>
      bookingsOf(f, { resource: ['desk_id', 'deskId'], person: ['member_id', 'memberId'] }, eq('date', f?.['date'])),
    order: byStartTime,
  },
  roomBookings: {
    entityType: 'room_booking',
    where: ({ filter: f }) => bookingsOf(f, { resource: ['room_id', 'roomId'], person: ['organizer_id', 'organizerId'] }),
    order: byStartTime,
  },
  visits: {
    entityType: 'visit',
    where: ({ filter: f }) => [
      ...range('expected_at', f ?? {}),
      ...(f?.['day'] ? [{ kind: 'onLocalDay' as const, column: 'expected_at', date: String(f['day']) }] : []),
      ...eq('building_id', f?.['buildingId']),
      ...eq('host_id', f?.['hostId']),
      ...statuses(f?.['status']),
    ],
    order: ({ orderBy }) => ({ column: 'expected_at', direction: orderBy === 'EXPECTED_AT_DESC' ? 'DESC' : 'ASC', kind: 'timestamp' }),
  },
};

/** A list position: the last row's order value and id (the tie-breaker). */
export type ListKey = readonly [string | number, string];

/**
 * The cursor key of a list ordered by a column of this kind. The value must match the
 * order column's type, so a crafted cursor cannot reach the warehouse as a bad value.
 */
export function listKey(kind: ReturnType<ListSpec['order']>['kind']): CursorKey<ListKey> {
  const isValue = (v: unknown): v is string | number => {
    switch (kind) {
      case 'string':
        return typeof v === 'string';
      case 'int':
        return Number.isSafeInteger(v);
      case 'timestamp':
        return typeof v === 'string' && isRealTimestamp(v);
      case 'date':
        return typeof v === 'string' && isRealDate(v);
    }
  };
  return {
    encode: (key) => key,
    decode: (raw) => (raw.length === 2 && isValue(raw[0]) && typeof raw[1] === 'string' ? [raw[0], raw[1]] : null),
  };
}
