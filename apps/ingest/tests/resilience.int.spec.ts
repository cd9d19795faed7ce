import { generateEventList, type GeneratedMessage } from '@phoenix/fixtures';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { freshWarehouse, uniqueName } from './support/harness';
import { createTopics, deleteTopics, eventually, produce, testKafka } from './support/kafka';
import { IngestProcess, killAll } from './support/process';
import { foldStream } from './support/reference-fold';
import { normalise, snapshot } from './support/warehouse-snapshot';

/**
 * The real ingest process under the failures a data platform team meets: kill -9,
 * a second instance dying mid-run, the warehouse going away, and a clean SIGTERM.
 * After each, the warehouse must equal the reference fold: nothing lost, nothing twice.
 */
// Each case runs whole ingest processes through a failure: minutes, not seconds.
jest.setTimeout(240_000);

describe('ingest process under failure', () => {
  const kafka = testKafka();
  const root = join(__dirname, '..', '..', '..');
  const stream: GeneratedMessage[] = generateEventList({
    seed: 77,
    tenants: 2,
    days: 3,
    buildingsPerTenant: 1,
    floorsPerBuilding: 2,
    desksPerFloor: 6,
    roomsPerFloor: 1,
    membersPerTenant: 12,
    duplicates: 0.03,
    late: 0.03,
    malformed: 0.02,
    maxEventBytes: 4096,
  });

  afterEach(killAll);

  /** The group's committed offset per partition, as the broker has them. */
  async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return Object.fromEntries((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
    } finally {
      await admin.disconnect();
    }
  }

  /** `heldBack`: how many of the stream's last messages to leave for `produceRest()`. */
  async function setup(name: string, heldBack = 0) {
    const topics = await createTopics(kafka, { events: 3, backfill: 1, deadletter: 1 });
    const env = await freshWarehouse(`it_${name}`);
    const processEnv = {
      TOPIC_EVENTS: topics['events'] as string,
      TOPIC_BACKFILL: topics['backfill'] as string,
      TOPIC_DEADLETTER: topics['deadletter'] as string,
      INGEST_GROUP_ID: uniqueName('it-group'),
      INGEST_BACKFILL_GROUP_ID: uniqueName('it-backfill'),
      INGEST_MAX_BATCH: '50',
      INGEST_MAX_EVENT_BYTES: '4096',
      BIGQUERY_DATASET: env.warehouse.config.datasetId,
      SHUTDOWN_TIMEOUT_MS: '15000',
    };
    const messages = stream.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
    await produce(kafka, topics['events'] as string, messages.slice(0, messages.length - heldBack));
    const produceRest = () => produce(kafka, topics['events'] as string, messages.slice(messages.length - heldBack));
    const expected = normalise(foldStream(stream, 4096));
    const done = async () => {
      const s = await snapshot(env.warehouse);
      return s.raw.length === expected.raw.length && s.deadLetters === expected.deadLetters;
    };
    return {
      processEnv,
      expected,
      done,
      produceRest,
      warehouse: env.warehouse,
      cleanup: async () => {
        await deleteTopics(kafka, Object.values(topics));
        await env.drop();
      },
    };
  }

  it('loses and duplicates nothing when the process is killed with SIGKILL mid-stream and restarted', async () => {
    // Half the stream arrives just before the kill, so the process dies with work in hand
    // (writes are large: the first half may already be written by then).
    const t = await setup('crash', Math.floor(stream.length / 2));
    try {
      const first = new IngestProcess(t.processEnv);
      await first.started();
      await eventually(async () => (await first.consumed()) > 50, 'some progress before the crash');
      await t.produceRest();
      first.kill('SIGKILL');
      expect((await first.exit()).signal).toBe('SIGKILL');

      const second = new IngestProcess(t.processEnv);
      await second.started();
      await eventually(t.done, 'everything ingested after the restart', 120_000);
      second.kill('SIGTERM');
      expect((await second.exit()).code).toBe(0);
      expect(await snapshot(t.warehouse)).toEqual(t.expected);
    } finally {
      await t.cleanup();
    }
  });

  it('lets a second instance in the group take over the partitions of one that dies', async () => {
    const t = await setup('takeover', Math.floor(stream.length / 2));
    try {
      const a = new IngestProcess(t.processEnv);
      const b = new IngestProcess(t.processEnv);
      await Promise.all([a.started(), b.started()]);
      await eventually(async () => (await a.consumed()) + (await b.consumed()) > 50, 'both instances working');
      await t.produceRest();
      a.kill('SIGKILL');
      await a.exit();
      await eventually(t.done, 'the survivor finished the stream', 120_000);
      b.kill('SIGTERM');
      expect((await b.exit()).code).toBe(0);
      expect(await snapshot(t.warehouse)).toEqual(t.expected);
    } finally {
      await t.cleanup();
    }
  });

  it('retries without committing through a warehouse outage, then finishes with nothing lost', async () => {
    // Writes are large (a lane group-commits every chunk it has), so the ingest may have
    // written everything it was given before the outage: the last 100 events arrive during it.
    const t = await setup('outage', 100);
    const bq = (command: string) => execFileSync('bash', [join(root, 'tools/local/bigquery.sh'), command], { stdio: 'ignore' });
    try {
      const ingest = new IngestProcess(t.processEnv);
      await ingest.started();
      await eventually(async () => (await ingest.consumed()) > 20, 'some progress before the outage');
      bq('stop');
      try {
        await t.produceRest();
        // Writes already past the warehouse may still commit in the first seconds; after
        // that, nothing may be committed while the warehouse is down.
        await new Promise((r) => setTimeout(r, 5_000));
        const committedEarly = await committedOffsets(t.processEnv.INGEST_GROUP_ID, t.processEnv.TOPIC_EVENTS);
        await new Promise((r) => setTimeout(r, 15_000));
        expect(await committedOffsets(t.processEnv.INGEST_GROUP_ID, t.processEnv.TOPIC_EVENTS)).toEqual(committedEarly);
        const readiness = await fetch(`http://127.0.0.1:${ingest.port}/readyz`);
        const body = (await readiness.json()) as { lanes: { live: { failingForMs: number } } };
        // Still alive and honest about it: the lane reports the failing warehouse.
        expect(body.lanes.live.failingForMs).toBeGreaterThan(0);
        expect(ingest.lines.some((l) => l.includes('warehouse write failed; retrying'))).toBe(true);
      } finally {
        bq('start');
      }
      await eventually(t.done, 'everything ingested after the outage', 180_000);
      ingest.kill('SIGTERM');
      expect((await ingest.exit()).code).toBe(0);
      expect(await snapshot(t.warehouse)).toEqual(t.expected);
    } finally {
      await t.cleanup();
    }
  });

  it('shuts down on SIGTERM within its bound, and a restart resumes from the committed offsets', async () => {
    const t = await setup('shutdown');
    try {
      const first = new IngestProcess(t.processEnv);
      await first.started();
      await eventually(async () => (await first.consumed()) > 30, 'some progress');
      const stopAt = Date.now();
      first.kill('SIGTERM');
      expect((await first.exit()).code).toBe(0);
      expect(Date.now() - stopAt).toBeLessThan(15_000);
      expect(first.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);

      const second = new IngestProcess(t.processEnv);
      await second.started();
      await eventually(t.done, 'the rest ingested after the restart', 120_000);
      // A clean stop committed what it wrote: the restart did not start from the beginning.
      expect(await second.consumed()).toBeLessThan(stream.length);
      second.kill('SIGINT');
      expect((await second.exit()).code).toBe(0);
      expect(await snapshot(t.warehouse)).toEqual(t.expected);

      // A signal during start-up (here: as soon as it logs) is a clean stop too, not a kill.
      const starting = new IngestProcess(t.processEnv);
      await eventually(() => starting.lines.some((l) => l.startsWith('{')), 'the first log line');
      starting.kill('SIGTERM');
      expect(await starting.exit()).toEqual({ code: 0, signal: null });
      expect(starting.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    } finally {
      await t.cleanup();
    }
  });
});
