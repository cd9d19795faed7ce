import { createCloudEvent, validateEvent, type DomainEvent, type EntityType } from '@phoenix/domain';
import { tableRef, type Statement, type Warehouse } from '@phoenix/bq';
import { createEnricher, enrichmentScopes, type EnrichmentIo } from './enrichment';

let counter = 0;
function event(
  entityType: EntityType,
  data: Record<string, unknown>,
  tenantId = 'acme',
  action: 'updated' | 'deleted' = 'updated',
): DomainEvent {
  const result = validateEvent(
    createCloudEvent({ id: `e${++counter}`, tenantId, entityType, action, time: '2026-01-01T00:00:00Z', data: data as never }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}
const booking = (id: string, deskId: string, tenantId = 'acme') =>
  event(
    'desk_booking',
    {
      id,
      deskId,
      memberId: 'm1',
      date: '2026-01-05',
      startTime: '2026-01-05T08:00:00Z',
      endTime: '2026-01-05T17:00:00Z',
      status: 'booked',
    },
    tenantId,
  );
const desk = (id: string, floorId: string) => event('desk', { id, floorId, label: id, features: [], bookable: true });
const floor = (id: string, buildingId: string) => event('floor', { id, buildingId, name: `Floor ${id}`, level: 1 });
const member = (id: string) =>
  event('member', { id, teamId: null, email: `${id}@example.com`, displayName: id, role: 'employee', active: true });

/** A warehouse whose current tables are empty: every reference not in the batch is missing. */
const emptyWarehouse = {
  table: (name: string) => tableRef('phoenix-local', 'phoenix', name),
  query: async () => [],
} as unknown as Warehouse;

function recordingIo(stale: Record<string, unknown>[]) {
  const calls: { kind: 'query' | 'execute'; table?: string; statement: Statement }[] = [];
  const io: EnrichmentIo = {
    query: async (statement) => (calls.push({ kind: 'query', statement }), stale),
    execute: async (table, statement) => void calls.push({ kind: 'execute', table, statement }),
  };
  return { io, calls };
}

describe('enrichmentScopes', () => {
  it('checks the bookings a batch applied, in their own table only, when it applied no reference', () => {
    const scopes = enrichmentScopes([booking('b1', 'd1'), booking('b2', 'd1', 'globex')]);
    expect(Object.keys(scopes)).toEqual(['desk_booking']);
    expect(scopes.desk_booking).toMatchObject({ tenants: ['acme', 'globex'], ids: ['b1', 'b2'], floor: [], member: [] });
  });

  it('checks the tables whose enrichment depends on an applied reference, in that reference tenant', () => {
    const scopes = enrichmentScopes([floor('f1', 'b1'), floor('f1', 'b1')]);
    expect(Object.keys(scopes).sort()).toEqual(['desk_booking', 'room_booking']);
    expect(scopes.room_booking).toMatchObject({ tenants: ['acme'], ids: [], floor: ['f1'], desk: [] });
  });

  it('checks nothing for a batch of entities no enrichment depends on, nor for booking tombstones', () => {
    const tombstone = event('desk_booking', { id: 'b1' }, 'acme', 'deleted');
    expect(tombstone.tombstone).toBe(true);
    expect(enrichmentScopes([tombstone])).toEqual({});
  });
});

describe('enricher', () => {
  it('names no floor or building a booking references but the warehouse does not hold', async () => {
    const enricher = createEnricher({ warehouse: emptyWarehouse });
    const events = [desk('d1', 'f404'), member('m1'), booking('b1', 'd1')];
    const { columnsFor } = await enricher.prepare(events);
    expect(columnsFor(events[2] as DomainEvent)).toEqual({
      floor_id: null,
      floor_name: null,
      building_id: null,
      building_name: null,
      timezone: null,
      team_id: null,
      team_name: null,
      enriched: false,
    });
    // The floor arrives, its building does not: the floor is named, the building is not.
    const later = [floor('f404', 'bl404'), booking('b2', 'd1')];
    const next = await enricher.prepare(later);
    expect(next.columnsFor(later[1] as DomainEvent)).toMatchObject({ floor_id: 'f404', building_id: null, enriched: false });
  });

  it('after a write, runs one check and no MERGE when no row is stale', async () => {
    const { io, calls } = recordingIo([]);
    await createEnricher({ warehouse: emptyWarehouse }).afterWrite([booking('b1', 'd1'), floor('f1', 'b1')], io);
    expect(calls.map((c) => c.kind)).toEqual(['query']);
  });

  it('MERGEs only the tables and rows the check found stale', async () => {
    const { io, calls } = recordingIo([
      { entity_type: 'room_booking', tenant_id: 'acme', id: 'rb1' },
      { entity_type: 'room_booking', tenant_id: 'acme', id: 'rb2' },
    ]);
    await createEnricher({ warehouse: emptyWarehouse }).afterWrite([floor('f1', 'b1')], io);
    expect(calls.map((c) => [c.kind, c.table])).toEqual([
      ['query', undefined],
      ['execute', 'room_booking_current'],
    ]);
    expect(calls[1]?.statement.params['s_ids']?.value).toBe('rb1 rb2');
  });

  it('makes no warehouse call after a write that applied nothing enrichment depends on', async () => {
    const { io, calls } = recordingIo([]);
    await createEnricher({ warehouse: emptyWarehouse }).afterWrite([event('visit', { id: 'v1' }, 'acme', 'deleted')], io);
    await createEnricher({ warehouse: emptyWarehouse }).afterWrite([], io);
    expect(calls).toEqual([]);
  });
});
