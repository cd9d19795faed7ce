import { AssignerProtocol, type Admin } from 'kafkajs';
import { createCloudEvent, ENTITY_TYPES, validateEvent, type DomainEvent, type EntityStateByType, type EntityType } from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import {
  changeKeyOf,
  changesQuery,
  feedWatermark,
  historyTableName,
  ident,
  join,
  openWritesQuery,
  param,
  sql,
  WRITE_INTENT_EXPIRY_MS,
  type ChangeKey,
  type ChangeRow,
  type Warehouse,
  type WriteLogRow,
} from '@phoenix/bq';
import { freshWarehouse, uniqueName } from './support/harness';
import { createTopics, deleteTopics, eventually, produce, testKafka } from './support/kafka';
import { IngestProcess, killAll } from './support/process';
import { foldEnrichment, foldOutcomes, foldStream } from './support/reference-fold';
import { normalise, snapshot } from './support/warehouse-snapshot';

/**
 * Two real ingest processes in one consumer group over a disordered stream of every
 * entity type: the second joins mid-stream (a rebalance), the first is killed with
 * SIGKILL while a write of it is recorded but not committed, and a client pages the
 * change feed live all along. Afterwards every current row, every enrichment value,
 * history, every change-feed row and the per-partition accounting must equal an
 * independent fold of the same stream (support/reference-fold.ts). The stream is seeded:
 * a failure reproduces with the same SEED.
 */
// Whole processes, a rebalance, a kill and the group's session timeout: minutes.
jest.setTimeout(360_000);

const SEED = 1313;
const PARTITIONS = 4;
const MAX_EVENT_BYTES = 4096;

interface Sent {
  partition: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** mulberry32: a small seeded generator for the disorder laid over the generated stream. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

/** FNV-1a of the key: the test places messages itself, so each partition's content is known. */
function partitionOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h % PARTITIONS;
}

/**
 * The generated stream with disorder on top, per tenant: one building, one floor and one
 * team arrive only in the second half, after bookings that use them; one floor and one
 * team never arrive; late renames and moves (a floor renamed and moved to another
 * building, a desk moved to another floor, a building renamed, a member moved to another
 * team), some of them overtaken by an even newer version that arrives first; stale older
 * versions of references arriving last; and re-sent copies of some of these.
 */
function disorderedStream(seed: number): Sent[] {
  const base = generateEventList({
    seed,
    tenants: 2,
    days: 5,
    buildingsPerTenant: 2,
    floorsPerBuilding: 2,
    desksPerFloor: 4,
    roomsPerFloor: 1,
    teamsPerTenant: 3,
    membersPerTenant: 20,
    visitsPerBuildingPerDay: 2,
    duplicates: 0.03,
    reorder: 0.05,
    late: 0.03,
    malformed: 0.02,
    maxEventBytes: MAX_EVENT_BYTES,
  });
  const rng = seeded(seed);
  const parsed = base.map((m) => {
    const r = validateEvent(m.value, { maxBytes: MAX_EVENT_BYTES });
    return { m, event: r.ok ? r.event : undefined };
  });
  const entityKey = (e: Pick<DomainEvent, 'tenantId' | 'entityType' | 'entityId'>) => `${e.tenantId}|${e.entityType}|${e.entityId}`;
  // The newest version of every entity, and its events in stream order.
  const latest = new Map<string, DomainEvent>();
  for (const { event } of parsed) {
    if (!event) continue;
    const before = latest.get(entityKey(event));
    if (!before || event.timeMs > before.timeMs || (event.timeMs === before.timeMs && (event.seq ?? -1) > (before.seq ?? -1)))
      latest.set(entityKey(event), event);
  }
  const tenants = [...new Set([...latest.values()].map((e) => e.tenantId))].sort();
  const ofType = (tenant: string, type: EntityType) =>
    [...latest.values()]
      .filter((e) => e.tenantId === tenant && e.entityType === type && !e.tombstone)
      .sort((a, b) => (a.entityId < b.entityId ? -1 : 1));

  const late = new Set<string>();
  const never = new Set<string>();
  const extra: Sent[] = [];
  let counter = 0;
  const version = <K extends EntityType>(of: DomainEvent, data: EntityStateByType[K], shiftMs: number, seqShift: number): Sent => {
    const envelope = createCloudEvent({
      id: `mi-${seed}-${++counter}`,
      tenantId: of.tenantId,
      entityType: of.entityType,
      action: 'updated',
      time: new Date(of.timeMs + shiftMs).toISOString(),
      data: data as never,
      ...(of.seq === null ? {} : { seq: Math.max(0, of.seq + seqShift) }),
    });
    const key = `${of.tenantId}/${of.entityId}`;
    return { partition: partitionOf(key), key, value: JSON.stringify(envelope), headers: {} };
  };
  const DAY = 86_400_000;
  for (const tenant of tenants) {
    const buildings = ofType(tenant, 'building');
    const floors = ofType(tenant, 'floor');
    const desks = ofType(tenant, 'desk');
    const teams = ofType(tenant, 'team');
    const members = ofType(tenant, 'member');
    const [b0, b1] = buildings as [DomainEvent, DomainEvent];
    const floorsOf = (b: DomainEvent) => floors.filter((f) => (f.data as { buildingId: string }).buildingId === b.entityId);
    const [f00, f01] = floorsOf(b0) as [DomainEvent, DomainEvent];
    const [f10, f11] = floorsOf(b1) as [DomainEvent, DomainEvent];
    const [t0, t1, t2] = teams as [DomainEvent, DomainEvent, DomainEvent];
    // Late: building b0, floor f10, team t0. Never: floor f11, team t2.
    for (const e of [b0, f10, t0]) late.add(entityKey(e));
    for (const e of [f11, t2]) never.add(entityKey(e));

    const floorData = (f: DomainEvent) => f.data as EntityStateByType['floor'];
    // A floor renamed and moved to the other building, and a newer rename that arrives first.
    extra.push(version(f00, { ...floorData(f00), name: `${floorData(f00).name} v3`, buildingId: b1.entityId }, 2 * DAY, 2));
    extra.push(version(f00, { ...floorData(f00), name: `${floorData(f00).name} v2` }, DAY, 1));
    // Another floor renamed once.
    extra.push(version(f01, { ...floorData(f01), name: `${floorData(f01).name} renamed` }, DAY, 1));
    // A desk moved to another floor (onto the late floor f10).
    const desk = desks.find((d) => (d.data as EntityStateByType['desk']).floorId === f00.entityId) as DomainEvent;
    extra.push(version(desk, { ...(desk.data as EntityStateByType['desk']), floorId: f10.entityId }, DAY, 1));
    // A building renamed (the one that is not late).
    const b1Data = b1.data as EntityStateByType['building'];
    extra.push(version(b1, { ...b1Data, name: `${b1Data.name} (renamed)`, timezone: 'Europe/Lisbon' }, DAY, 1));
    // A member moved to another team, and one moved onto the team that never arrives.
    const [m0, m1] = members as [DomainEvent, DomainEvent];
    const m0Data = m0.data as EntityStateByType['member'];
    extra.push(version(m0, { ...m0Data, teamId: m0Data.teamId === t1.entityId ? t0.entityId : t1.entityId }, DAY, 1));
    extra.push(version(m1, { ...(m1.data as EntityStateByType['member']), teamId: t2.entityId }, DAY, 1));
    // Stale older versions: older than the first version, never current.
    extra.push(version(b1, { ...b1Data, name: 'stale', timezone: 'Asia/Tokyo' }, -30 * DAY, -50));
    extra.push(version(f01, { ...floorData(f01), name: 'stale floor', buildingId: b0.entityId }, -30 * DAY, -50));
    extra.push(version(t1, { ...(t1.data as EntityStateByType['team']), name: 'stale team' }, -30 * DAY, -50));
  }
  // Re-sent copies of some of the additions.
  for (const e of extra.slice(0, extra.length)) if (rng.next() < 0.3) extra.push({ ...e });

  const kept: Sent[] = [];
  const delayed: Sent[] = [];
  for (const { m, event } of parsed) {
    const sent = { partition: partitionOf(m.key), key: m.key, value: m.value, headers: { ...m.headers } };
    const k = event ? entityKey(event) : undefined;
    if (k && never.has(k)) continue;
    (k && late.has(k) ? delayed : kept).push(sent);
  }
  // Late references and additions land at seeded places in the second half, in their order.
  const out = [...kept];
  for (const s of [...delayed, ...extra]) out.splice(rng.int(Math.floor(out.length / 2), out.length), 0, s);
  return out;
}

/** The change feed's order: (recorded_at, entity_type, id, event_id). */
function compareKeys(a: ChangeKey, b: ChangeKey): number {
  const ta = Date.parse(a.recordedAt);
  const tb = Date.parse(b.recordedAt);
  if (ta !== tb) return ta - tb;
  if (a.recordedAt !== b.recordedAt) return a.recordedAt < b.recordedAt ? -1 : 1;
  for (const k of ['entityType', 'id', 'eventId'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  return 0;
}

describe('two ingest instances, a rebalance and a kill -9 over a disordered stream', () => {
  const kafka = testKafka();
  afterEach(killAll);

  const stream = disorderedStream(SEED);
  const expected = normalise(foldStream(stream, MAX_EVENT_BYTES));
  const tenants = [...new Set([...expected.current.values()].flatMap((rows) => [...rows.values()].map((r) => r.tenant_id)))].sort();

  /** A client paging the change feed of every tenant as docs/api.md says: a fixed since, following the cursor, up to the watermark. */
  function feedClient(warehouse: Warehouse) {
    const since = new Date('2020-01-01T00:00:00Z');
    const cursors = new Map<string, ChangeKey | null>(tenants.map((t) => [t, null]));
    const pages = new Map<string, ChangeRow[][]>(tenants.map((t) => [t, []]));
    let lastWatermark = 0;
    async function watermark(): Promise<Date> {
      const rows = await warehouse.query<WriteLogRow>(
        openWritesQuery(warehouse, { since: new Date(Date.now() - 2 * WRITE_INTENT_EXPIRY_MS) }),
      );
      // It may step back (an intent whose append was delayed names its start): harmless,
      // as its versions are recorded after the append; the client keeps its cursor.
      const w = feedWatermark(rows, { clockSkewMs: 0 }).watermark;
      lastWatermark = Math.max(lastWatermark, w.getTime());
      return w;
    }
    async function poll(): Promise<void> {
      for (const tenantId of tenants) {
        for (;;) {
          const until = await watermark();
          const rows = await warehouse.query<ChangeRow>(
            changesQuery(warehouse, {
              tenantId,
              entityTypes: [...ENTITY_TYPES],
              since,
              until,
              after: cursors.get(tenantId) ?? null,
              limit: 100,
            }),
          );
          if (rows.length > 0) {
            (pages.get(tenantId) as ChangeRow[][]).push(rows);
            cursors.set(tenantId, changeKeyOf(rows[rows.length - 1] as ChangeRow));
          }
          if (rows.length < 100) break;
        }
      }
    }
    return { poll, pages, lastWatermark: () => lastWatermark };
  }

  /** The partitions of `topic` each member (by client id) of the group holds now. */
  async function assignment(admin: Admin, groupId: string, topic: string): Promise<Map<string, number[]>> {
    const { groups } = await admin.describeGroups([groupId]);
    const out = new Map<string, number[]>();
    for (const member of groups[0]?.members ?? []) {
      const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      out.set(member.clientId, [...(decoded?.assignment[topic] ?? [])]);
    }
    return out;
  }

  it('ends with the fold of the stream: current rows, enrichment, history, every feed page, and each offset counted once', async () => {
    expect(stream.length).toBeGreaterThan(600);
    const topics = await createTopics(kafka, { events: PARTITIONS, backfill: 1, deadletter: 1 });
    const events = topics['events'] as string;
    const env = await freshWarehouse('it_multi');
    const groupId = uniqueName('it-group');
    const admin = kafka.admin();
    await admin.connect();
    const processEnv = {
      TOPIC_EVENTS: events,
      TOPIC_BACKFILL: topics['backfill'] as string,
      TOPIC_DEADLETTER: topics['deadletter'] as string,
      INGEST_GROUP_ID: groupId,
      INGEST_BACKFILL_GROUP_ID: uniqueName('it-backfill'),
      INGEST_LANES: 'live',
      INGEST_MAX_BATCH: '40',
      INGEST_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES),
      BIGQUERY_DATASET: env.warehouse.config.datasetId,
      SHUTDOWN_TIMEOUT_MS: '15000',
    };
    const ids = { first: uniqueName('it-first'), second: uniqueName('it-second') };
    type Tally = Record<'consumed' | 'applied' | 'duplicate' | 'superseded' | 'dead_lettered' | 'redelivered' | 'uncommitted', number> & {
      balanced: boolean;
    };
    const partitionsOf = async (p: IngestProcess): Promise<Record<string, Tally>> =>
      ((await p.reconciliation()) as unknown as Record<string, Record<string, Tally>>)['live'] ?? {};
    const consumedBy = async (p: IngestProcess) =>
      Object.values(await partitionsOf(p).catch(() => ({}))).reduce((n, t) => n + t.consumed, 0);

    const third = Math.floor(stream.length / 3);
    const phases = [stream.slice(0, third), stream.slice(third, 2 * third), stream.slice(2 * third)];
    try {
      await produce(kafka, events, phases[0] as Sent[]);
      const first = new IngestProcess({ ...processEnv, KAFKA_CLIENT_ID: ids.first });
      await first.started();
      const client = feedClient(env.warehouse);
      let paging = true;
      const pager = (async () => {
        while (paging) {
          await client.poll();
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      // What the first process had counted, read until it dies (its counts die with it).
      let firstTally: Record<string, Tally> = {};
      let second: IngestProcess | undefined;
      let survivor: IngestProcess | undefined;
      try {
        await eventually(async () => (await consumedBy(first)) > 60, 'the first process working', 120_000);
        second = new IngestProcess({ ...processEnv, KAFKA_CLIENT_ID: ids.second });
        await second.started();
        await produce(kafka, events, phases[1] as Sent[]);
        await eventually(async () => (await consumedBy(second as IngestProcess)) > 0, 'the second process joined and committed', 120_000);
        await produce(kafka, events, phases[2] as Sent[]);

        // Kill the first process while a write of it is recorded in events_raw but not
        // committed: frozen (SIGSTOP), it commits nothing more; if none of its partitions
        // holds such a write, it runs on a little and is looked at again.
        let killedAt: Record<number, number> | undefined;
        for (let attempt = 0; attempt < 120 && !killedAt; attempt++) {
          firstTally = await partitionsOf(first);
          first.kill('SIGSTOP');
          const held = (await assignment(admin, groupId, events)).get(ids.first) ?? [];
          const [committed] = await admin.fetchOffsets({ groupId, topics: [events] });
          const committedOf = (p: number) => Math.max(0, Number(committed?.partitions.find((x) => x.partition === p)?.offset ?? '-1'));
          const written = await env.warehouse.query<{ kafka_partition: number; last: number }>({
            sql: sql`SELECT kafka_partition, MAX(kafka_offset) AS last FROM ${env.warehouse.table('events_raw')} WHERE topic = @topic GROUP BY kafka_partition`,
            params: { topic: param.string(events) },
          });
          if (written.some((w) => held.includes(Number(w.kafka_partition)) && Number(w.last) >= committedOf(Number(w.kafka_partition)))) {
            first.kill('SIGKILL');
            killedAt = Object.fromEntries(held.map((p) => [p, committedOf(p)]));
          } else {
            first.kill('SIGCONT');
            await new Promise((r) => setTimeout(r, 150 + attempt * 7));
          }
        }
        expect(killedAt).toBeDefined();
        expect((await first.exit()).signal).toBe('SIGKILL');

        const highs = Object.fromEntries((await admin.fetchTopicOffsets(events)).map((o) => [o.partition, Number(o.high)]));
        await eventually(
          async () => {
            const [committed] = await admin.fetchOffsets({ groupId, topics: [events] });
            return (committed?.partitions ?? []).every((x) => Number(x.offset) === highs[x.partition]);
          },
          'the survivor committed every partition to its end',
          240_000,
        );
        survivor = second;

        // Accounting: per partition, the survivor counted a suffix of the offsets and the
        // killed process the prefix before it, each offset once, under the fold's outcome.
        const survivorTally = await partitionsOf(survivor as IngestProcess);
        let redelivered = 0;
        for (let p = 0; p < PARTITIONS; p++) {
          const outcomes = foldOutcomes(
            stream.filter((s) => s.partition === p).map((s) => s.value),
            MAX_EVENT_BYTES,
          );
          expect(outcomes).toHaveLength(highs[p] as number);
          const count = (from: number, to: number) => {
            const c = { consumed: to - from, applied: 0, duplicate: 0, superseded: 0, dead_lettered: 0 };
            for (const o of outcomes.slice(from, to)) c[o]++;
            return c;
          };
          const s = survivorTally[`${events}/${p}`];
          const start = (highs[p] as number) - (s?.consumed ?? 0);
          if (s) {
            expect({ partition: p, ...s }).toMatchObject({
              partition: p,
              ...count(start, highs[p] as number),
              uncommitted: 0,
              balanced: true,
            });
            redelivered += s.redelivered;
          }
          const f = firstTally[`${events}/${p}`];
          const before = f?.consumed ?? 0;
          if (f) expect({ partition: p, ...f }).toMatchObject({ partition: p, ...count(0, before), balanced: true });
          // The killed process's last commit on the partitions it held is where the survivor began.
          if (killedAt?.[p] !== undefined) expect({ partition: p, start }).toEqual({ partition: p, start: killedAt[p] });
          else expect({ partition: p, counted: before + (s?.consumed ?? 0) }).toEqual({ partition: p, counted: highs[p] });
          expect(before).toBeLessThanOrEqual(start);
        }
        // Offsets the killed process wrote but never committed: the survivor counted them under the outcome recorded then.
        expect(redelivered).toBeGreaterThan(0);

        // Current rows, history, events and dead letters.
        expect(await snapshot(env.warehouse)).toEqual(expected);
        // Every enrichment value of every booking and visit.
        const enrichment = foldEnrichment(expected);
        for (const [type, rows] of enrichment) {
          const columns =
            type === 'visit'
              ? ['building_name', 'timezone', 'team_id', 'team_name', 'enriched']
              : ['floor_id', 'floor_name', 'building_id', 'building_name', 'timezone', 'team_id', 'team_name', 'enriched'];
          const actual = await env.warehouse.query({
            sql: sql`SELECT tenant_id, id, ${join(
              columns.map((c) => ident(c)),
              ', ',
            )} FROM ${env.warehouse.table(`${type}_current`)}`,
            params: {},
          });
          const got = new Map(
            actual.map((r) => [`${r['tenant_id']}/${r['id']}`, Object.fromEntries(columns.map((c) => [c, r[c] ?? null]))]),
          );
          expect({ type, rows: got }).toEqual({ type, rows });
        }

        // The change feed: caught up, every version once, in order, as the fold says.
        const [{ last }] = (await env.warehouse.query<{ last: string }>({
          sql: sql`SELECT MAX(recorded_at) AS last FROM (${join(
            ENTITY_TYPES.map((t) => sql`SELECT recorded_at FROM ${env.warehouse.table(historyTableName(t))}`),
            ' UNION ALL ',
          )})`,
          params: {},
        })) as [{ last: string }];
        await eventually(async () => {
          await client.poll();
          return client.lastWatermark() >= Date.parse(last);
        }, 'the feed watermark passing the last version');
      } finally {
        paging = false;
        await pager;
      }
      const versions = new Map<string, DomainEvent>();
      for (const s of stream) {
        const r = validateEvent(s.value, { maxBytes: MAX_EVENT_BYTES });
        if (r.ok) versions.set(`${r.event.tenantId}/${r.event.id}`, r.event);
      }
      for (const tenantId of tenants) {
        const rows = (client.pages.get(tenantId) as ChangeRow[][]).flat();
        const keys = rows.map((r) => changeKeyOf(r));
        for (let i = 1; i < keys.length; i++) expect(compareKeys(keys[i - 1] as ChangeKey, keys[i] as ChangeKey)).toBeLessThan(0);
        const got = rows.map((r) => ({
          entity_type: r.entity_type,
          id: r.id,
          event_id: r.event_id,
          event_type: r.event_type,
          deleted: r.deleted,
          seq: r.seq === null ? null : Number(r.seq),
          valid_from: Date.parse(r.valid_from),
        }));
        const want = [...versions.values()]
          .filter((e) => e.tenantId === tenantId)
          .map((e) => ({
            entity_type: e.entityType,
            id: e.entityId,
            event_id: e.id,
            event_type: e.type,
            deleted: e.tombstone,
            seq: e.seq,
            valid_from: e.timeMs,
          }));
        const byEvent = (a: { event_id: string }, b: { event_id: string }) => (a.event_id < b.event_id ? -1 : 1);
        expect(got.sort(byEvent)).toEqual(want.sort(byEvent));
      }
      (survivor as IngestProcess).kill('SIGTERM');
      expect((await (survivor as IngestProcess).exit()).code).toBe(0);
    } finally {
      await admin.disconnect();
      await deleteTopics(kafka, Object.values(topics));
      await env.drop();
    }
  });
});
