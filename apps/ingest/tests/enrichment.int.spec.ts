import { createCloudEvent, type EntityStateByType, type EntityType } from '@phoenix/domain';
import { migrate, sql, type Warehouse } from '@phoenix/bq';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { createMetrics, decode, createEnricher, createWarehouseWriter } from '@phoenix/ingest';
import { asConsumed, testLogger } from './support/harness';

/**
 * Two ingest instances share one dataset but not their caches: whichever of them applies
 * which reference version, the stored enrichment converges to the current reference rows.
 * Two writers with their own enrichers stand for the instances, so the interleaving is
 * fixed rather than left to timing.
 */
jest.setTimeout(180_000);

const maxBytes = 64 * 1024;

interface BookingRow extends Record<string, unknown> {
  id: string;
  floor_id: string | null;
  floor_name: string | null;
  building_id: string | null;
  building_name: string | null;
  timezone: string | null;
  enriched: boolean | null;
}

describe('enrichment across instances with their own caches', () => {
  let warehouse: Warehouse;
  let offset = 0;
  let counter = 0;

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_ingest_converge', process.env);
    await migrate(warehouse);
  });
  afterAll(() => dropTestDataset(warehouse));

  function instance() {
    const metrics = createMetrics();
    const writer = createWarehouseWriter({ warehouse, metrics, logger: testLogger().logger, enricher: createEnricher({ warehouse }) });
    return {
      metrics,
      write: (...events: ReturnType<typeof event>[]) => {
        const consumed = asConsumed(
          events.map((e) => ({ key: e.entityid as string, value: JSON.stringify(e), headers: {} })),
          'it',
          (offset += 1000),
        );
        return writer.write(consumed.map((m) => decode(m, { maxBytes })));
      },
    };
  }

  function event<K extends EntityType>(tenantId: string, entityType: K, data: EntityStateByType[K], time: string) {
    return createCloudEvent({ id: `e-${++counter}`, tenantId, entityType, action: 'updated', time, data: data as never });
  }

  const building = (t: string, id: string, name: string, timezone: string, time = '2026-01-01T00:00:00Z') =>
    event(t, 'building', { id, name, city: 'Berlin', countryCode: 'DE', timezone }, time);
  const floor = (t: string, id: string, buildingId: string, name: string, time: string) =>
    event(t, 'floor', { id, buildingId, name, level: 1 }, time);
  const desk = (t: string, id: string, floorId: string) =>
    event(t, 'desk', { id, floorId, label: id, features: [], bookable: true }, '2026-01-01T00:00:00Z');
  const member = (t: string, id: string) =>
    event(
      t,
      'member',
      { id, teamId: null, email: `${id}@example.com`, displayName: id, role: 'employee', active: true },
      '2026-01-01T00:00:00Z',
    );
  const booking = (t: string, id: string, deskId: string) =>
    event(
      t,
      'desk_booking',
      {
        id,
        deskId,
        memberId: 'm-1',
        date: '2026-01-05',
        startTime: '2026-01-05T08:00:00Z',
        endTime: '2026-01-05T17:00:00Z',
        status: 'booked',
      },
      '2026-01-02T00:00:00Z',
    );

  const bookings = (tenant: string) =>
    warehouse.query<BookingRow>({
      sql: sql`SELECT id, floor_id, floor_name, building_id, building_name, timezone, enriched
        FROM ${warehouse.table('desk_booking_current')} WHERE tenant_id = @tenant AND NOT deleted ORDER BY id`,
      params: { tenant: { type: 'STRING', value: tenant } },
    });

  it('corrects a booking staged from a cache that missed a newer floor version another instance applied', async () => {
    const t = 'acme';
    const a = instance();
    const b = instance();
    // B knows floor flr-1 at version 1, on building bld-1.
    await b.write(
      building(t, 'bld-1', 'One', 'Europe/Berlin'),
      building(t, 'bld-3', 'Three', 'Europe/Lisbon'),
      floor(t, 'flr-1', 'bld-1', 'Floor flr-1 v1', '2026-01-01T01:00:00Z'),
      desk(t, 'dsk-1', 'flr-1'),
      member(t, 'm-1'),
    );
    // A applies the floor's newest version: moved to bld-3 and renamed.
    await a.write(floor(t, 'flr-1', 'bld-3', 'Floor flr-1 v3', '2026-01-01T03:00:00Z'));
    // B writes a booking on that floor from its cache, then sees only an older floor version.
    await b.write(booking(t, 'bk-1', 'dsk-1'));
    await b.write(floor(t, 'flr-1', 'bld-1', 'Floor flr-1 v2', '2026-01-01T02:00:00Z'));

    expect(await bookings(t)).toEqual([
      {
        id: 'bk-1',
        floor_id: 'flr-1',
        floor_name: 'Floor flr-1 v3',
        building_id: 'bld-3',
        building_name: 'Three',
        timezone: 'Europe/Lisbon',
        enriched: true,
      },
    ]);
  });

  it('completes a booking staged from a cached miss of a floor another instance has since applied', async () => {
    const t = 'globex';
    const a = instance();
    const b = instance();
    await b.write(building(t, 'bld-3', 'Three', 'Europe/Lisbon'), desk(t, 'dsk-1', 'flr-1'), member(t, 'm-1'));
    // B's first booking misses flr-1, which B's cache now remembers as missing.
    await b.write(booking(t, 'bk-1', 'dsk-1'));
    // A applies the floor: its check completes bk-1.
    await a.write(floor(t, 'flr-1', 'bld-3', 'Floor flr-1 v3', '2026-01-01T03:00:00Z'));
    // B writes another booking on that floor from its cached miss; later floor versions are older.
    await b.write(booking(t, 'bk-2', 'dsk-1'));
    await b.write(floor(t, 'flr-1', 'bld-3', 'Floor flr-1 v1', '2026-01-01T01:00:00Z'));

    const rows = await bookings(t);
    expect(rows.map((r) => [r.id, r.building_id, r.timezone, r.floor_name, r.enriched])).toEqual([
      ['bk-1', 'bld-3', 'Europe/Lisbon', 'Floor flr-1 v3', true],
      ['bk-2', 'bld-3', 'Europe/Lisbon', 'Floor flr-1 v3', true],
    ]);
    // The check found B's row stale and corrected it with one MERGE.
    const writes = await b.metrics.registry.getSingleMetricAsString('phoenix_ingest_warehouse_write_duration_seconds');
    expect(writes).toMatch(/_count\{table="enrichment",kind="enrich-check"\} [1-9]/);
    expect(writes).toMatch(/_count\{table="desk_booking_current",kind="enrich"\} 1\n/);
  });

  it('names no floor or building that does not exist, and fills them in when they arrive', async () => {
    const t = 'initech';
    const a = instance();
    await a.write(desk(t, 'dsk-1', 'flr-404'), desk(t, 'dsk-2', 'flr-2'), member(t, 'm-1'));
    // flr-2 exists, but its building bld-404 does not.
    await a.write(floor(t, 'flr-2', 'bld-404', 'Floor 2', '2026-01-01T01:00:00Z'));
    await a.write(booking(t, 'bk-1', 'dsk-1'), booking(t, 'bk-2', 'dsk-2'));
    expect((await bookings(t)).map((r) => [r.id, r.floor_id, r.building_id, r.enriched])).toEqual([
      ['bk-1', null, null, false],
      ['bk-2', 'flr-2', null, false],
    ]);
    await instance().write(building(t, 'bld-404', 'Late', 'Europe/Paris'));
    expect((await bookings(t)).map((r) => [r.id, r.floor_id, r.building_id, r.enriched])).toEqual([
      ['bk-1', null, null, false],
      ['bk-2', 'flr-2', 'bld-404', true],
    ]);
  });
});
