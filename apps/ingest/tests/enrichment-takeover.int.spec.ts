import { createCloudEvent, type EntityStateByType, type EntityType } from '@phoenix/domain';
import { sql } from '@phoenix/bq';
import { freshWarehouse, uniqueName } from './support/harness';
import { createTopics, deleteTopics, eventually, produce, testKafka } from './support/kafka';
import { IngestProcess, killAll } from './support/process';

/**
 * Two ingest processes in one group, each with its own reference cache. The one that
 * applied a floor's newest version is killed with SIGKILL; the survivor, whose cache
 * still holds an older version, takes over and afterwards sees only older versions of
 * that floor. Every booking must still end with the floor's current values.
 */
// Whole processes, a kill and a takeover (the group's session timeout): minutes.
jest.setTimeout(300_000);

describe('enrichment after a takeover', () => {
  const kafka = testKafka();
  let counter = 0;
  afterEach(killAll);

  function message<K extends EntityType>(partition: number, entityType: K, data: EntityStateByType[K], time: string) {
    const e = createCloudEvent({ id: `tk-${++counter}`, tenantId: 'acme', entityType, action: 'updated', time, data: data as never });
    return { partition, key: `acme/${data.id}`, value: JSON.stringify(e) };
  }
  const floor = (partition: number, name: string, buildingId: string, time: string) =>
    message(partition, 'floor', { id: 'flr-1', buildingId, name, level: 1 }, time);
  const booking = (partition: number, id: string) =>
    message(
      partition,
      'desk_booking',
      {
        id,
        deskId: 'dsk-1',
        memberId: 'm-1',
        date: '2026-01-05',
        startTime: '2026-01-05T08:00:00Z',
        endTime: '2026-01-05T17:00:00Z',
        status: 'booked',
      },
      '2026-01-02T00:00:00Z',
    );

  it('converges every booking to the floor version the killed instance applied', async () => {
    const topics = await createTopics(kafka, { events: 2, backfill: 1, deadletter: 1 });
    const env = await freshWarehouse('it_enrich_takeover');
    const events = topics['events'] as string;
    const processEnv = {
      TOPIC_EVENTS: events,
      TOPIC_BACKFILL: topics['backfill'] as string,
      TOPIC_DEADLETTER: topics['deadletter'] as string,
      INGEST_GROUP_ID: uniqueName('it-group'),
      INGEST_BACKFILL_GROUP_ID: uniqueName('it-backfill'),
      INGEST_LANES: 'live',
      BIGQUERY_DATASET: env.warehouse.config.datasetId,
      SHUTDOWN_TIMEOUT_MS: '15000',
    };
    const consumedOn = async (p: IngestProcess, partition: number) => {
      if (p.port === undefined) return 0;
      const lanes = await p.reconciliation().catch(() => ({}) as Awaited<ReturnType<IngestProcess['reconciliation']>>);
      return Object.values(lanes).reduce((n, lane) => n + (lane[`${events}/${partition}`]?.consumed ?? 0), 0);
    };
    try {
      const one = new IngestProcess(processEnv);
      const two = new IngestProcess(processEnv);
      await Promise.all([one.started(), two.started()]);
      // One marker per partition tells which process holds which.
      await produce(kafka, events, [
        message(0, 'team', { id: 'tm-0', name: 'Marker 0' }, '2026-01-01T00:00:00Z'),
        message(1, 'team', { id: 'tm-1', name: 'Marker 1' }, '2026-01-01T00:00:00Z'),
      ]);
      let holder0: IngestProcess | undefined;
      await eventually(async () => {
        const [a, b] = [await consumedOn(one, 0), await consumedOn(two, 0)];
        const [c, d] = [await consumedOn(one, 1), await consumedOn(two, 1)];
        holder0 = a > 0 && d > 0 ? one : b > 0 && c > 0 ? two : undefined;
        return holder0 !== undefined;
      }, 'each process holds one partition');
      const killed = holder0 as IngestProcess;
      const survivor = killed === one ? two : one;

      // The survivor (partition 1) applies the reference data with floor flr-1 at version 1.
      await produce(kafka, events, [
        message(
          1,
          'building',
          { id: 'bld-1', name: 'One', city: 'Berlin', countryCode: 'DE', timezone: 'Europe/Berlin' },
          '2026-01-01T00:00:00Z',
        ),
        message(
          1,
          'building',
          { id: 'bld-3', name: 'Three', city: 'Lisbon', countryCode: 'PT', timezone: 'Europe/Lisbon' },
          '2026-01-01T00:00:00Z',
        ),
        floor(1, 'Floor flr-1 v1', 'bld-1', '2026-01-01T01:00:00Z'),
        message(1, 'desk', { id: 'dsk-1', floorId: 'flr-1', label: '1.01', features: [], bookable: true }, '2026-01-01T00:00:00Z'),
        message(
          1,
          'member',
          { id: 'm-1', teamId: null, email: 'm1@example.com', displayName: 'M 1', role: 'employee', active: true },
          '2026-01-01T00:00:00Z',
        ),
      ]);
      await eventually(async () => (await consumedOn(survivor, 1)) >= 6, 'the survivor applied the reference data');
      // The other process applies the floor's newest version (renamed, moved to bld-3), then dies.
      await produce(kafka, events, [floor(0, 'Floor flr-1 v3', 'bld-3', '2026-01-01T03:00:00Z')]);
      await eventually(async () => (await consumedOn(killed, 0)) >= 2, 'the newest floor version applied');
      killed.kill('SIGKILL');
      expect((await killed.exit()).signal).toBe('SIGKILL');

      // Bookings on that floor reach the survivor on both partitions, and only older floor versions follow.
      await produce(kafka, events, [booking(1, 'bk-1'), booking(0, 'bk-2')]);
      await produce(kafka, events, [floor(0, 'Floor flr-1 v2', 'bld-1', '2026-01-01T02:00:00Z'), booking(1, 'bk-3')]);
      await eventually(
        async () => (await consumedOn(survivor, 0)) >= 2 && (await consumedOn(survivor, 1)) >= 8,
        'the survivor took over and consumed everything',
        180_000,
      );
      survivor.kill('SIGTERM');
      expect((await survivor.exit()).code).toBe(0);

      const rows = await env.warehouse.query({
        sql: sql`SELECT id, floor_id, floor_name, building_id, building_name, timezone, enriched
          FROM ${env.warehouse.table('desk_booking_current')} WHERE NOT deleted ORDER BY id`,
        params: {},
      });
      const current = { floor_id: 'flr-1', floor_name: 'Floor flr-1 v3', building_id: 'bld-3', building_name: 'Three' };
      expect(rows).toEqual(['bk-1', 'bk-2', 'bk-3'].map((id) => ({ id, ...current, timezone: 'Europe/Lisbon', enriched: true })));
    } finally {
      await deleteTopics(kafka, Object.values(topics));
      await env.drop();
    }
  });
});
