import { createCloudEvent, validateEvent, type DomainEvent, type EntityStateByType, type EntityType } from '@phoenix/domain';
import { currentByIdsQuery, listCurrentQuery, migrate, type Warehouse } from '../src/index';
import { applyEvents, createTestWarehouse, dropTestDataset } from '../src/testing';

let n = 0;
function event<K extends EntityType>(
  entityType: K,
  data: EntityStateByType[K] | { id: string },
  options: { tenantId?: string; action?: 'created' | 'deleted'; time?: string } = {},
): DomainEvent {
  const result = validateEvent(
    createCloudEvent({
      id: `evt-${String(++n).padStart(4, '0')}`,
      tenantId: options.tenantId ?? 'acme',
      entityType,
      action: options.action ?? 'created',
      time: options.time ?? '2026-01-01T00:00:00Z',
      data: data as never,
    }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

const deskBooking = (id: string, deskId: string, date: string, status: 'booked' | 'cancelled' = 'booked', tenantId = 'acme') =>
  event(
    'desk_booking',
    { id, deskId, memberId: 'm1', date, startTime: `${date}T08:00:00Z`, endTime: `${date}T17:00:00Z`, status },
    { tenantId, action: 'created' },
  );

describe('current-state reads against the emulator', () => {
  let warehouse: Warehouse;
  const ids = (rows: { id?: unknown }[]) => rows.map((r) => r.id);

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_reads', process.env);
    await migrate(warehouse);
    await applyEvents(warehouse, [
      event('building', { id: 'b1', name: 'Berlin HQ', city: 'Berlin', countryCode: 'DE', timezone: 'Europe/Berlin' }),
      event('building', { id: 'b2', name: 'Lisbon', city: 'Lisbon', countryCode: 'PT', timezone: 'Europe/Lisbon' }),
      event('floor', { id: 'f1', buildingId: 'b1', name: 'Ground', level: 0 }),
      event('floor', { id: 'f2', buildingId: 'b2', name: 'First', level: 1 }),
      event('desk', { id: 'd1', floorId: 'f1', label: '0.01', features: ['monitor'], bookable: true }),
      event('desk', { id: 'd2', floorId: 'f1', label: '0.02', features: [], bookable: true }),
      event('desk', { id: 'd3', floorId: 'f2', label: '1.01', features: [], bookable: true }),
      event('desk', { id: 'd9', floorId: 'f1', label: 'gone', features: [], bookable: true }),
      event('room', { id: 'r1', floorId: 'f1', name: 'Spree', capacity: 8, features: ['video'], bookable: true }),
      event('room', { id: 'r2', floorId: 'f1', name: 'Havel', capacity: 4, features: [], bookable: true }),
      event('team', { id: 't1', name: 'Platform' }),
      event('member', { id: 'm1', teamId: 't1', email: 'ann@example.com', displayName: 'Ann', role: 'employee', active: true }),
      event('desk', { id: 'd1', floorId: 'f1', label: 'other tenant', features: [], bookable: true }, { tenantId: 'globex' }),
      deskBooking('db1', 'd1', '2026-01-05'),
      deskBooking('db2', 'd2', '2026-01-05', 'cancelled'),
      deskBooking('db3', 'd3', '2026-01-06'),
      deskBooking('db4', 'd1', '2026-01-07'),
      deskBooking('db5', 'd2', '2026-01-08'),
      deskBooking('dbx', 'd1', '2026-01-06', 'booked', 'globex'),
      event('room_booking', {
        id: 'rb1',
        roomId: 'r1',
        organizerId: 'm1',
        startTime: '2026-01-05T09:00:00Z',
        endTime: '2026-01-05T10:00:00Z',
        attendeeCount: 3,
        status: 'booked',
      }),
      event('visit', {
        id: 'v1',
        hostId: 'm1',
        buildingId: 'b1',
        visitorName: 'Vic',
        expectedAt: '2026-01-05T23:30:00Z', // 00:30 on 6 January in Berlin
        status: 'booked',
      }),
    ]);
    await applyEvents(warehouse, [event('desk', { id: 'd9' }, { action: 'deleted', time: '2026-01-02T00:00:00Z' })]);
  });
  afterAll(async () => {
    await dropTestDataset(warehouse);
  });

  it('loads by id within the tenant only, without tombstones', async () => {
    const rows = await warehouse.query(currentByIdsQuery(warehouse, 'desk', { tenantId: 'acme', ids: ['d1', 'd3', 'd9', 'nope'] }));
    expect(ids(rows).sort()).toEqual(['d1', 'd3']);
    expect(rows.find((r) => r['id'] === 'd1')).toMatchObject({ label: '0.01', features: ['monitor'], floor_id: 'f1' });
    const other = await warehouse.query(currentByIdsQuery(warehouse, 'desk', { tenantId: 'globex', ids: ['d1', 'd3'] }));
    expect(other.map((r) => r['label'])).toEqual(['other tenant']);
  });

  it('filters bookings by date range, building (enrichment) and status, ordered with id as tie-break', async () => {
    const rows = await warehouse.query(
      listCurrentQuery(warehouse, 'desk_booking', {
        tenantId: 'acme',
        where: [
          { column: 'start_time', op: '>=', value: '2026-01-05T00:00:00Z' },
          { column: 'start_time', op: '<', value: '2026-01-08T00:00:00Z' },
          { column: 'building_id', op: '=', value: 'b1' },
          { column: 'status', op: 'in', values: ['booked', 'checked_in'] },
        ],
        orderBy: { column: 'start_time', direction: 'ASC' },
        after: null,
        limit: 10,
      }),
    );
    expect(ids(rows)).toEqual(['db1', 'db4']);
    expect(rows[0]).toMatchObject({ building_name: 'Berlin HQ', floor_name: 'Ground', team_name: 'Platform', enriched: true });
  });

  it('pages with a keyset cursor in both directions, every row once', async () => {
    for (const direction of ['ASC', 'DESC'] as const) {
      const seen: unknown[] = [];
      let after: readonly [unknown, string] | null = null;
      for (let pageNo = 0; pageNo < 10; pageNo++) {
        const rows: Record<string, unknown>[] = await warehouse.query(
          listCurrentQuery(warehouse, 'desk_booking', {
            tenantId: 'acme',
            where: [],
            orderBy: { column: 'date', direction },
            after,
            limit: 2,
          }),
        );
        seen.push(...ids(rows));
        if (rows.length < 2) break;
        const last = rows[rows.length - 1] as Record<string, unknown>;
        after = [last['date'], String(last['id'])];
      }
      // db1 and db2 share a date: the id breaks the tie, in the same direction.
      const expected = ['db1', 'db2', 'db3', 'db4', 'db5'];
      expect(seen).toEqual(direction === 'ASC' ? expected : [...expected].reverse());
    }
  });

  it('finds desks free on a day and rooms free in a time range', async () => {
    const free = await warehouse.query(
      listCurrentQuery(warehouse, 'desk', {
        tenantId: 'acme',
        where: [
          { column: 'floor_id', op: '=', value: 'f1' },
          { kind: 'deskFreeOn', date: '2026-01-05' },
        ],
        orderBy: { column: 'id', direction: 'ASC' },
        after: null,
        limit: 10,
      }),
    );
    // d1 is booked that day; d2's booking was cancelled, so d2 is free.
    expect(ids(free)).toEqual(['d2']);
    const inLisbon = await warehouse.query(
      listCurrentQuery(warehouse, 'desk', {
        tenantId: 'acme',
        where: [{ kind: 'inBuilding', buildingId: 'b2' }],
        orderBy: { column: 'label', direction: 'ASC' },
        after: null,
        limit: 10,
      }),
    );
    expect(ids(inLisbon)).toEqual(['d3']);
    const rooms = await warehouse.query(
      listCurrentQuery(warehouse, 'room', {
        tenantId: 'acme',
        where: [{ kind: 'roomFreeBetween', from: '2026-01-05T09:30:00Z', to: '2026-01-05T11:00:00Z' }],
        orderBy: { column: 'name', direction: 'ASC' },
        after: null,
        limit: 10,
      }),
    );
    expect(ids(rooms)).toEqual(['r2']);
  });

  it("selects visits by the local day in the building's time zone", async () => {
    const day = (date: string) =>
      warehouse.query(
        listCurrentQuery(warehouse, 'visit', {
          tenantId: 'acme',
          where: [{ kind: 'onLocalDay', column: 'expected_at', date }],
          orderBy: { column: 'expected_at', direction: 'ASC' },
          after: null,
          limit: 10,
        }),
      );
    expect(ids(await day('2026-01-06'))).toEqual(['v1']);
    expect(ids(await day('2026-01-05'))).toEqual([]);
  });
});
