import fc from 'fast-check';
import { createCloudEvent, ENTITY_TYPES } from '@phoenix/domain';
import { generateEventList, type GeneratedMessage } from '@phoenix/fixtures';
import { decode, createGroupCommit, createEnricher, createWarehouseWriter, createMetrics } from '@phoenix/ingest';
import { feedWatermark, join, openWritesQuery, sql, WarehouseError, type Warehouse, type WriteLogRow } from '@phoenix/bq';
import { asConsumed, freshWarehouse, testLogger } from './support/harness';
import { createTopics, deleteTopics, eventually, produce, testKafka } from './support/kafka';
import { testLane } from './support/lane';
import { foldStream } from './support/reference-fold';
import { normalise, snapshot } from './support/warehouse-snapshot';

/**
 * The write semantics of docs/data-model.md, through the real writer into the BigQuery emulator:
 * idempotent, order-insensitive, nothing silently dropped.
 */
// The property runs several whole ingests against the emulator.
jest.setTimeout(240_000);

describe('warehouse writer against the emulator', () => {
  // A small world keeps each property run to a few seconds on the emulator.
  const stream = generateEventList({
    seed: 99,
    tenants: 2,
    days: 2,
    buildingsPerTenant: 1,
    floorsPerBuilding: 1,
    desksPerFloor: 3,
    roomsPerFloor: 1,
    teamsPerTenant: 2,
    membersPerTenant: 5,
    visitsPerBuildingPerDay: 2,
    late: 0.1,
    malformed: 0.05,
    maxEventBytes: 2048,
  });
  const maxBytes = 2048;

  async function ingest(
    writer: Awaited<ReturnType<typeof freshWarehouse>>['writer'],
    messages: GeneratedMessage[],
    batchSizes: number[],
    topic = 'test',
  ) {
    const consumed = asConsumed(messages, topic);
    const tally = { consumed: 0, applied: 0, duplicate: 0, superseded: 0, dead_lettered: 0, redelivered: 0 };
    let start = 0;
    for (let b = 0; start < consumed.length; b++) {
      const size = batchSizes[b % batchSizes.length] as number;
      const batch = consumed.slice(start, start + size).map((m) => decode(m, { maxBytes }));
      start += size;
      const { outcomes, redelivered } = await writer.write(batch);
      tally.consumed += batch.length;
      for (const o of outcomes) tally[o]++;
      tally.redelivered += (redelivered ?? []).filter(Boolean).length;
    }
    return tally;
  }

  it('fills every table exactly as the reference fold says, and a full replay changes nothing', async () => {
    const { warehouse, writer, drop } = await freshWarehouse('it_ingest_replay');
    try {
      const first = await ingest(writer, stream, [40]);
      const expected = normalise(foldStream(stream, maxBytes));
      const after = await snapshot(warehouse);
      expect(after).toEqual(expected);
      // Reconciliation: every message is accounted for exactly once.
      expect(first.consumed).toBe(stream.length);
      expect(first.applied + first.duplicate + first.superseded + first.dead_lettered).toBe(first.consumed);
      expect(first.dead_lettered).toBe(expected.deadLetters);

      // Replay from offset 0 (same positions): nothing changes, and every valid event is a
      // re-delivery of its offset, counted under the outcome recorded the first time.
      const replay = await ingest(writer, stream, [25]);
      expect(await snapshot(warehouse)).toEqual(after);
      expect(replay).toEqual({ ...first, redelivered: stream.length - expected.deadLetters });
      // The same events at other positions (another topic) were sent again: duplicates.
      const valid = stream.filter((m) => m.kind !== 'malformed');
      const elsewhere = await ingest(writer, valid, [30], 'test-again');
      expect(await snapshot(warehouse)).toEqual(after);
      expect(elsewhere).toEqual({
        consumed: valid.length,
        applied: 0,
        duplicate: valid.length,
        superseded: 0,
        dead_lettered: 0,
        redelivered: 0,
      });
    } finally {
      await drop();
    }
  });

  it('is order-insensitive: any permutation with duplicates and any batching gives the same warehouse', async () => {
    const valid = stream.filter((m) => m.kind !== 'malformed');
    const expected = normalise(foldStream(valid));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(valid.length - 1), { minLength: 0, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 4 }),
        fc.integer(),
        async (duplicateIndexes, batchSizes, seed) => {
          const withDuplicates = [...valid, ...duplicateIndexes.map((i) => valid[i] as GeneratedMessage)];
          const shuffled = fc.sample(
            fc.shuffledSubarray(withDuplicates, { minLength: withDuplicates.length, maxLength: withDuplicates.length }),
            {
              seed,
              numRuns: 1,
            },
          )[0] as GeneratedMessage[];
          const { warehouse, writer, drop } = await freshWarehouse('it_ingest_prop');
          try {
            const tally = await ingest(writer, shuffled, batchSizes);
            expect(await snapshot(warehouse)).toEqual(expected);
            expect(tally.applied + tally.superseded).toBe(expected.raw.length);
            expect(tally.duplicate).toBe(duplicateIndexes.length);
          } finally {
            await drop();
          }
        },
      ),
      { numRuns: 6, seed: 4242, endOnFailure: true },
    );
  });

  it('is order-insensitive through Kafka too: shuffled and duplicated on a 3-partition topic, read by the consumer group', async () => {
    const kafka = testKafka();
    const valid = stream.filter((m) => m.kind !== 'malformed');
    const expected = normalise(foldStream(valid));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(valid.length - 1), { minLength: 0, maxLength: 30 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer(),
        async (duplicateIndexes, chunk, seed) => {
          const withDuplicates = [...valid, ...duplicateIndexes.map((i) => valid[i] as GeneratedMessage)];
          const [shuffled] = fc.sample(
            fc.shuffledSubarray(withDuplicates, { minLength: withDuplicates.length, maxLength: withDuplicates.length }),
            {
              seed,
              numRuns: 1,
            },
          ) as [GeneratedMessage[]];
          const topics = await createTopics(kafka, { events: 3, deadletter: 1 });
          const { warehouse, writer, metrics, drop } = await freshWarehouse('it_ingest_kprop');
          // Keys spread entities over the partitions (one entity's events share one), in the shuffled order.
          await produce(
            kafka,
            topics['events'] as string,
            shuffled.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
          );
          const lane = testLane({
            kafka,
            writer: createGroupCommit(writer, { maxMessages: 5_000 }),
            metrics,
            topics: topics as { events: string; deadletter: string },
            maxEventBytes: maxBytes,
            config: { maxBatchMessages: chunk, partitionsConcurrently: 3 },
          });
          try {
            await lane.start();
            const tally = () => Object.values(lane.ingestor.reconciliation());
            await eventually(() => tally().reduce((n, t) => n + t.consumed, 0) >= shuffled.length, 'every message consumed');
            expect(await snapshot(warehouse)).toEqual(expected);
            expect(tally().every((t) => t.balanced)).toBe(true);
            expect(tally().reduce((n, t) => n + t.applied + t.superseded, 0)).toBe(expected.raw.length);
            expect(tally().reduce((n, t) => n + t.duplicate, 0)).toBe(duplicateIndexes.length);
          } finally {
            await lane.stop();
            await deleteTopics(kafka, Object.values(topics));
            await drop();
          }
        },
      ),
      { numRuns: 3, seed: 2027, endOnFailure: true },
    );
  });

  it('decides appliedOnArrival by arrival order inside a batch: the first version to arrive was applied, even with a newer one later in it', async () => {
    const { warehouse, writer, drop } = await freshWarehouse('it_ingest_arrival');
    try {
      const desk = (id: string, time: string) => ({
        key: 'acme/dsk-a',
        value: JSON.stringify(
          createCloudEvent({
            id,
            tenantId: 'acme',
            entityType: 'desk',
            action: 'updated',
            time,
            data: { id: 'dsk-a', floorId: 'flr-1', label: id, features: ['monitor'], bookable: true },
          }),
        ),
        headers: {},
      });
      // Arrival order: 10:00, then 12:00, then 11:00 (late: a newer version had arrived before it).
      const batch = [desk('e-10', '2026-01-05T10:00:00Z'), desk('e-12', '2026-01-05T12:00:00Z'), desk('e-11', '2026-01-05T11:00:00Z')];
      const { outcomes } = await writer.write(asConsumed(batch).map((m) => decode(m, { maxBytes })));
      expect(outcomes).toEqual(['applied', 'applied', 'superseded']);
      const raw = await warehouse.query<{ event_id: string; outcome: string }>({
        sql: sql`SELECT event_id, outcome FROM ${warehouse.table('events_raw')} ORDER BY event_id`,
        params: {},
      });
      expect(raw).toEqual([
        { event_id: 'e-10', outcome: 'applied' },
        { event_id: 'e-11', outcome: 'superseded' },
        { event_id: 'e-12', outcome: 'applied' },
      ]);
      const current = await warehouse.query<{ event_id: string }>({
        sql: sql`SELECT event_id FROM ${warehouse.table('desk_current')}`,
        params: {},
      });
      expect(current).toEqual([{ event_id: 'e-12' }]);
    } finally {
      await drop();
    }
  });

  it('gives every row of an event one system time when a write dies after its history rows and another writer retries it', async () => {
    const { warehouse, drop } = await freshWarehouse('it_ingest_systime');
    try {
      // The warehouse goes away mid-write: history and current rows are committed, the
      // events_raw MERGE never arrives (a real outage, or a kill -9 between statements).
      const failing: Warehouse = {
        ...warehouse,
        execute: async (statement, options) => {
          if (/^MERGE `[^`]+\.events_raw`/.test(statement.sql.text)) throw new WarehouseError('TRANSIENT', 'connection reset', true);
          return warehouse.execute(statement, options);
        },
      };
      const writer = (w: Warehouse) =>
        createWarehouseWriter({
          warehouse: w,
          metrics: createMetrics(),
          logger: testLogger().logger,
          enricher: createEnricher({ warehouse: w }),
        });
      const batch = asConsumed(stream.filter((m) => m.kind !== 'malformed').slice(0, 40)).map((m) => decode(m, { maxBytes }));
      await expect(writer(failing).write(batch)).rejects.toThrow('connection reset');
      // The dead attempt's intent holds the change feed back, from before its system time on.
      const feed = async () =>
        feedWatermark(await warehouse.query<WriteLogRow>(openWritesQuery(warehouse, { since: new Date(Date.now() - 3_600_000) })), {
          clockSkewMs: 0,
        });
      const held = await feed();
      expect(held.holding).toHaveLength(1);
      const [firstHistory] = await warehouse.query<{ t: string }>({
        sql: sql`SELECT MIN(recorded_at) AS t FROM ${warehouse.table('desk_booking_history')}`,
        params: {},
      });
      expect(held.watermark.getTime()).toBeLessThan(Date.parse((firstHistory as { t: string }).t));
      await new Promise((r) => setTimeout(r, 50));
      // Another instance (a fresh writer) takes the same offsets over, later: its done
      // covers the dead attempt's offsets, so nothing holds the feed any more.
      await writer(warehouse).write(batch);
      expect((await feed()).holding).toEqual([]);

      const times = await warehouse.query<{ event_id: string; raw: string; history: string; current: string | null }>({
        sql: sql`SELECT r.event_id, r.recorded_at AS raw, h.recorded_at AS history, c.recorded_at AS current
FROM ${warehouse.table('events_raw')} AS r
JOIN (${join(
          ENTITY_TYPES.map((t) => sql`SELECT tenant_id, event_id, recorded_at FROM ${warehouse.table(`${t}_history`)}`),
          ' UNION ALL ',
        )}) AS h ON h.tenant_id = r.tenant_id AND h.event_id = r.event_id
LEFT JOIN (${join(
          ENTITY_TYPES.map((t) => sql`SELECT tenant_id, event_id, recorded_at FROM ${warehouse.table(`${t}_current`)}`),
          ' UNION ALL ',
        )}) AS c ON c.tenant_id = r.tenant_id AND c.event_id = r.event_id`,
        params: {},
      });
      expect(times.length).toBeGreaterThan(10);
      expect(times.filter((t) => t.current !== null).length).toBeGreaterThan(0);
      for (const t of times) {
        expect({ event: t.event_id, raw: t.raw }).toEqual({ event: t.event_id, raw: t.history });
        if (t.current !== null) expect({ event: t.event_id, current: t.current }).toEqual({ event: t.event_id, current: t.history });
      }
    } finally {
      await drop();
    }
  });

  it('applies a booking whose references have not arrived, and completes its enrichment when they do', async () => {
    const { warehouse, writer, drop } = await freshWarehouse('it_ingest_enrich');
    try {
      const world = generateEventList({
        seed: 7,
        tenants: 1,
        days: 2,
        buildingsPerTenant: 1,
        floorsPerBuilding: 1,
        desksPerFloor: 2,
        roomsPerFloor: 1,
        membersPerTenant: 4,
      });
      const reference = world.filter((m) => /^phoenix\.(building|floor|desk|room|team|member)\./.test(m.event?.type ?? ''));
      const bookings = world.filter((m) => m.event?.type.startsWith('phoenix.desk_booking.'));
      expect(bookings.length).toBeGreaterThan(0);
      const read = () =>
        warehouse.query<{
          id: string;
          enriched: boolean | null;
          building_name: string | null;
          floor_name: string | null;
          team_name: string | null;
          timezone: string | null;
        }>({
          sql: sql`SELECT id, enriched, building_name, floor_name, team_name, timezone FROM ${warehouse.table('desk_booking_current')} WHERE NOT deleted`,
          params: {},
        });

      // Bookings first: applied, but not enriched.
      await writer.write(asConsumed(bookings).map((m) => decode(m, { maxBytes })));
      const before = await read();
      expect(before.length).toBeGreaterThan(0);
      expect(before.every((r) => r.enriched === false && r.building_name === null)).toBe(true);

      // The reference data arrives late: every booking is completed.
      await writer.write(asConsumed(reference, 'test', 10_000).map((m) => decode(m, { maxBytes })));
      const after = await read();
      expect(after).toHaveLength(before.length);
      expect(after.every((r) => r.enriched === true && !!r.building_name && !!r.floor_name && !!r.timezone)).toBe(true);

      // A building rename reaches existing bookings.
      const building = reference.find((m) => m.event?.type === 'phoenix.building.created')?.event;
      const rename = {
        ...(building as NonNullable<typeof building>),
        id: 'rename-1',
        type: 'phoenix.building.updated',
        time: '2026-03-01T00:00:00.000Z',
        data: { ...(building?.data as object), name: 'Renamed HQ' },
      };
      await writer.write(
        asConsumed([{ key: 'k', value: JSON.stringify(rename), headers: {} }], 'test', 20_000).map((m) => decode(m, { maxBytes })),
      );
      expect((await read()).every((r) => r.building_name === 'Renamed HQ')).toBe(true);
    } finally {
      await drop();
    }
  });
});
