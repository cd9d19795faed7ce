import type { Workload } from './workload';

/**
 * The three operations: what a consumer typically asks the bookings subgraph, with the
 * relations a screen shows. Each knows its variables for a round and checks its answer
 * against the workload, because a benchmark of failing requests measures nothing.
 */
export interface Operation {
  key: 'dayView' | 'bookingById' | 'freeDesks';
  title: string;
  query: string;
  variables(round: number): Record<string, unknown>;
  /** null when the data is what the workload says it must be, else what is wrong. */
  check(data: unknown, variables: Record<string, unknown>): string | null;
  /** The nodes a correct answer has (for the report). */
  expectedNodes: number;
}

const DAY_VIEW = `query DeskDayView($building: ID!, $day: Date!) {
  deskBookings(filter: { buildingId: $building, date: $day, status: [BOOKED, CHECKED_IN] }, first: 50) {
    nodes {
      id status startTime endTime checkedInAt
      desk { id label features floor { id name level building { id name timezone } } }
      member { id displayName team { id name } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const BOOKING_BY_ID = `query DeskBooking($id: ID!) {
  deskBooking(id: $id) {
    id status date startTime endTime checkedInAt cancelledAt enriched
    desk { id label features bookable floor { id name level building { id name city timezone } } }
    member { id displayName email role team { id name costCenter } }
  }
}`;

const FREE_DESKS = `query FreeDesks($building: ID!, $day: Date!) {
  desks(filter: { buildingId: $building, freeOn: $day }, first: 100) {
    nodes { id label features floor { id name level } }
    pageInfo { hasNextPage }
  }
}`;

interface Node {
  id: string;
  [field: string]: unknown;
}
const nodesOf = (data: unknown, field: string): Node[] | null => {
  const connection = (data as Record<string, { nodes?: Node[] } | null> | null)?.[field];
  return Array.isArray(connection?.nodes) ? connection.nodes : null;
};
/** The value at `keys` below `value`, or undefined where a level is missing. */
const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);

export function operations(w: Workload): Operation[] {
  const dayViewNodes = Math.min(50, w.activeBookingsToday);
  const free = w.freeDesks;
  return [
    {
      key: 'dayView',
      title: `desk day view (${dayViewNodes} bookings, desk→floor→building, member→team)`,
      query: DAY_VIEW,
      expectedNodes: dayViewNodes,
      variables: () => ({ building: w.building.id, day: w.day }),
      check(data) {
        const nodes = nodesOf(data, 'deskBookings');
        if (!nodes) return 'no deskBookings.nodes';
        if (nodes.length !== dayViewNodes) return `${nodes.length} bookings, expected ${dayViewNodes}`;
        for (const n of nodes) {
          // A desk deleted after it was booked reads as null; any other desk must be in the building.
          if (n['desk'] && at(n, 'desk', 'floor', 'building', 'id') !== w.building.id)
            return `booking ${n.id}'s desk is not in ${w.building.id}`;
          if (!at(n, 'member', 'team')) return `booking ${n.id} has no member → team`;
          if (n['status'] !== 'BOOKED' && n['status'] !== 'CHECKED_IN') return `booking ${n.id} has status ${String(n['status'])}`;
        }
        return null;
      },
    },
    {
      key: 'bookingById',
      title: 'one desk booking by id (desk→floor→building, member→team)',
      query: BOOKING_BY_ID,
      expectedNodes: 1,
      variables: (round) => ({ id: w.bookingIds[round % w.bookingIds.length] }),
      check(data, variables) {
        const booking = (data as { deskBooking?: Node | null } | null)?.deskBooking;
        if (!booking) return `deskBooking(${String(variables['id'])}) is null`;
        if (booking.id !== variables['id']) return `asked for ${String(variables['id'])}, got ${booking.id}`;
        if (!at(booking, 'desk', 'floor', 'building')) return `booking ${booking.id} has no desk → floor → building`;
        if (!at(booking, 'member', 'team')) return `booking ${booking.id} has no member → team`;
        return null;
      },
    },
    {
      key: 'freeDesks',
      title: `desks free today in one building (${free.length}, with floor)`,
      query: FREE_DESKS,
      expectedNodes: free.length,
      variables: () => ({ building: w.building.id, day: w.day }),
      check(data) {
        const nodes = nodesOf(data, 'desks');
        if (!nodes) return 'no desks.nodes';
        const ids = nodes.map((n) => n.id).sort();
        if (ids.join() !== free.join()) return `${ids.length} free desks, expected ${free.length} (${diff(ids, free)})`;
        if (nodes.some((n) => !at(n, 'floor', 'name'))) return 'a free desk has no floor';
        return null;
      },
    },
  ];
}

function diff(actual: string[], expected: string[]): string {
  const extra = actual.filter((id) => !expected.includes(id));
  const missing = expected.filter((id) => !actual.includes(id));
  return `unexpected: ${extra.slice(0, 3).join(', ') || 'none'}; missing: ${missing.slice(0, 3).join(', ') || 'none'}`;
}
