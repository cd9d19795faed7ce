import { ENTITY_TYPES } from '@phoenix/domain';
import { generateEventList, type GeneratedMessage } from '@phoenix/fixtures';
import {
  changeKeyOf,
  changesQuery,
  feedWatermark,
  historyTableName,
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
import { foldStream } from './support/reference-fold';
import { normalise, snapshot } from './support/warehouse-snapshot';
import { slowProxy } from './support/slow-proxy';

/**
 * The change feed against real ingest processes: a client pages it the way docs/api.md
 * says (a fixed `since`, following the cursor, up to each answer's watermark) while two
 * instances write one stream, one of them behind a slow link to the warehouse and the
 * other killed with SIGKILL half-way. Every version must reach the client exactly once.
 * The feed is read through libs/bq's own statements (the audit subgraph's resolver runs
 * the same two: the write-log watermark, then the page).
 */
// Whole ingest processes, one of them slow on purpose: minutes, not seconds.
jest.setTimeout(300_000);

describe('change feed while ingest instances are slow and die', () => {
  const kafka = testKafka();
  const stream: GeneratedMessage[] = generateEventList({
    seed: 1302,
    tenants: 2,
    days: 2,
    buildingsPerTenant: 1,
    floorsPerBuilding: 2,
    desksPerFloor: 5,
    roomsPerFloor: 1,
    membersPerTenant: 10,
    duplicates: 0.03,
    late: 0.05,
    malformed: 0.02,
    maxEventBytes: 4096,
  });
  const tenants = [
    ...new Set(stream.flatMap((m) => (typeof m.event?.tenantid === 'string' && m.event.tenantid !== '' ? [m.event.tenantid] : []))),
  ];

  afterEach(killAll);

  /** One pass of the feed per tenant: pages from the cursor up to the watermark, as a client does. */
  function feedClient(warehouse: Warehouse) {
    const since = new Date('2020-01-01T00:00:00Z');
    const cursors = new Map<string, ChangeKey | null>(tenants.map((t) => [t, null]));
    const seen = new Map<string, string[]>(tenants.map((t) => [t, []]));
    let largestLagMs = 0;
    let lastWatermark = 0;

    async function watermark(): Promise<Date> {
      const rows = await warehouse.query<WriteLogRow>(
        openWritesQuery(warehouse, { since: new Date(Date.now() - 2 * WRITE_INTENT_EXPIRY_MS) }),
      );
      // No clock allowance: every process here shares one clock, so any skip is the watermark's.
      const w = feedWatermark(rows, { clockSkewMs: 0 }).watermark;
      largestLagMs = Math.max(largestLagMs, Date.parse((rows[0] as WriteLogRow).now) - w.getTime());
      // The watermark may step back a little (an intent appended late names its earlier
      // start); that skips nothing, since the rows it covers get a system time chosen after
      // the intent was visible. What the test pins is the end result: every version once.
      lastWatermark = Math.max(lastWatermark, w.getTime());
      return w;
    }

    /** Reads every page available now, for every tenant. */
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
          (seen.get(tenantId) as string[]).push(...rows.map((r) => r.event_id));
          if (rows.length > 0) cursors.set(tenantId, changeKeyOf(rows[rows.length - 1] as ChangeRow));
          if (rows.length < 100) break;
        }
      }
    }
    return { poll, seen, largestLagMs: () => largestLagMs, lastWatermark: () => lastWatermark };
  }

  /** Every history row of a tenant, read in full at the end. */
  async function allVersions(warehouse: Warehouse, tenantId: string): Promise<string[]> {
    const rows = await warehouse.query<{ event_id: string }>({
      sql: sql`SELECT event_id FROM (${join(
        ENTITY_TYPES.map((t) => sql`SELECT tenant_id, event_id FROM ${warehouse.table(historyTableName(t))}`),
        ' UNION ALL ',
      )}) WHERE tenant_id = @tenant`,
      params: { tenant: param.string(tenantId) },
    });
    return rows.map((r) => r.event_id).sort();
  }

  it('serves every version exactly once to a client paging live, with one instance slowed and the other killed', async () => {
    const topics = await createTopics(kafka, { events: 3, backfill: 1, deadletter: 1 });
    const env = await freshWarehouse('it_feed');
    const emulator = new URL(process.env['BIGQUERY_EMULATOR_HOST'] as string);
    // Each request to the warehouse's REST API waits 1.5 s on the way: a MERGE commits
    // seconds after the write that stamped its versions began (appends still go direct).
    const proxy = await slowProxy({ host: emulator.hostname, port: Number(emulator.port) }, 1_500);
    try {
      const processEnv = {
        TOPIC_EVENTS: topics['events'] as string,
        TOPIC_BACKFILL: topics['backfill'] as string,
        TOPIC_DEADLETTER: topics['deadletter'] as string,
        INGEST_GROUP_ID: uniqueName('it-group'),
        INGEST_BACKFILL_GROUP_ID: uniqueName('it-backfill'),
        INGEST_LANES: 'live',
        INGEST_MAX_BATCH: '40',
        INGEST_MAX_EVENT_BYTES: '4096',
        BIGQUERY_DATASET: env.warehouse.config.datasetId,
        SHUTDOWN_TIMEOUT_MS: '15000',
      };
      const messages = stream.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
      const half = Math.floor(messages.length / 2);
      await produce(kafka, topics['events'] as string, messages.slice(0, half));
      const expected = normalise(foldStream(stream, 4096));

      const fast = new IngestProcess(processEnv);
      const slow = new IngestProcess({
        ...processEnv,
        BIGQUERY_EMULATOR_HOST: `http://127.0.0.1:${proxy.port}/bigquery/v2`,
      });
      await Promise.all([fast.started(), slow.started()]);

      const client = feedClient(env.warehouse);
      let paging = true;
      const pager = (async () => {
        while (paging) {
          await client.poll();
          await new Promise((r) => setTimeout(r, 300));
        }
      })();
      try {
        await eventually(async () => (await fast.consumed()) + (await slow.consumed()) > 60, 'both instances working', 120_000);
        await produce(kafka, topics['events'] as string, messages.slice(half));
        await new Promise((r) => setTimeout(r, 1_000));
        fast.kill('SIGKILL');
        await fast.exit();
        await eventually(
          async () => {
            const s = await snapshot(env.warehouse);
            return s.raw.length === expected.raw.length && s.deadLetters === expected.deadLetters;
          },
          'the slow survivor finished the stream',
          240_000,
        );
      } finally {
        paging = false;
        await pager;
      }
      // Caught up: a pass whose watermark is past the last version has read everything.
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
      }, 'the watermark passing the last version');

      for (const tenantId of tenants) {
        const seen = client.seen.get(tenantId) as string[];
        expect(new Set(seen).size).toBe(seen.length);
        expect([...seen].sort()).toEqual(await allVersions(env.warehouse, tenantId));
      }
      // The case the fixed settle time lost: writes committing seconds after their versions' time.
      expect(proxy.delayed()).toBeGreaterThan(10);
      expect(client.largestLagMs()).toBeGreaterThan(2_000);
      expect(await snapshot(env.warehouse)).toEqual(expected);
      slow.kill('SIGTERM');
      expect((await slow.exit()).code).toBe(0);
    } finally {
      await proxy.close();
      await deleteTopics(kafka, Object.values(topics));
      await env.drop();
    }
  });
});
