import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CompressionTypes, type Message } from 'kafkajs';
import { ident, sql, type Warehouse } from '@phoenix/bq';
import { type CloudEventEnvelope } from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import { type RedriveSummary, DEAD_LETTER_HEADERS } from '@phoenix/ingest';
import { freshWarehouse, uniqueName } from './support/harness';
import { createTopics, deleteTopics, eventually, readAll, testKafka } from './support/kafka';
import { IngestProcess, killAll } from './support/process';
import { testLane } from './support/lane';

// Megabyte messages through the broker and the emulator, then a redrive CLI run.
jest.setTimeout(300_000);

const root = join(__dirname, '..', '..', '..');
const sha = (b: Buffer | string | null) =>
  createHash('sha256')
    .update(b ?? '')
    .digest('hex');

/** What each message on the events topic must end as. */
type Expect = { kind: 'valid'; eventId: string } | { kind: 'duplicate' } | { kind: 'dead'; reason?: string; name: string };
interface Planned {
  partition: number;
  message: Message;
  expect: Expect;
}

const PARTITIONS = 3;
const MAX_EVENT_BYTES = 256 * 1024;
// The dead-letter topic accepts half of what the source topic does (1 MiB, the broker's
// default): the start-up check reports it, and an incompressible large letter cannot go there whole.
const DEAD_LETTER_MAX_MESSAGE_BYTES = 512 * 1024;

/** One entity's events stay on one partition: its key picks it, as a key partitioner would. */
const partitionOf = (key: string) => createHash('md5').update(key).digest().readUInt32BE(0) % PARTITIONS;

/**
 * Poison messages interleaved with valid events on every partition of the real broker:
 * each poison message is dead-lettered (or, for a re-used event id, counted a duplicate),
 * every valid event around them arrives in the warehouse, and per partition
 * consumed = applied + duplicate + superseded + dead_lettered = the messages on it.
 */
describe('poison messages through the real broker', () => {
  const kafka = testKafka();
  const events = generateEventList({
    seed: 97,
    tenants: 1,
    days: 1,
    buildingsPerTenant: 1,
    floorsPerBuilding: 1,
    desksPerFloor: 3,
    roomsPerFloor: 1,
    membersPerTenant: 4,
    duplicates: 0,
    late: 0,
    malformed: 0,
    maxEventBytes: 4096,
  }).filter((m) => m.kind === 'event');
  const envelope = (i: number) => events[i]?.event as CloudEventEnvelope;
  const valid = (i: number): Planned => {
    const m = events[i] as (typeof events)[number];
    return {
      partition: partitionOf(m.key),
      message: { key: m.key, value: m.value, headers: { ...m.headers } },
      expect: { kind: 'valid', eventId: m.event?.id as string },
    };
  };
  const dead = (partition: number, name: string, value: Buffer | string | null, reason?: string, key = `poison/${name}`): Planned => ({
    partition,
    message: { key, value },
    expect: { kind: 'dead', name, ...(reason ? { reason } : {}) },
  });
  const json = (e: object) => JSON.stringify(e);
  const padded = (e: CloudEventEnvelope, padding: string) => JSON.stringify({ ...e, data: { ...(e.data as object), padding } });

  /** Small poison messages of every kind, for partition p. */
  function smallPoison(p: number): Planned[] {
    const e = envelope(p);
    return [
      dead(p, 'malformed-json', '{"specversion": "1.0", "id": ', 'MALFORMED_JSON'),
      dead(p, 'invalid-utf8', Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])),
      dead(p, 'wrong-types', json({ ...e, time: 12345, data: 'not an object' })),
      dead(p, 'unknown-type', json({ ...e, id: `unknown-${p}`, type: 'phoenix.spaceship.created' }), 'UNKNOWN_EVENT_TYPE'),
      dead(p, 'missing-tenant', json({ ...e, id: `no-tenant-${p}`, tenantid: undefined }), 'MISSING_TENANT'),
      dead(p, 'tombstone', null, 'MALFORMED_JSON'),
      dead(p, 'not-an-object', '[1, 2, 3]', 'NOT_AN_OBJECT'),
    ];
  }

  let topics: Record<string, string>;
  let env: Awaited<ReturnType<typeof freshWarehouse>>;
  const plan: Planned[] = [];
  // The three large ones: each alone on its partition's send, each followed by valid events.
  const compressedOversize = dead(0, 'compressed-oversize', padded(envelope(0), 'x'.repeat(2 * 1024 * 1024)), 'PAYLOAD_TOO_LARGE');
  // A record at the source topic's limit (1 MiB batch), sent uncompressed.
  const atTheLimit = dead(1, 'uncompressed-at-limit', padded(envelope(1), 'y'.repeat(1_040_000)), 'PAYLOAD_TOO_LARGE');
  // Incompressible (random base64): its dead letter stays over 512 KiB even gzip-compressed.
  const refusedByDeadLetterTopic = dead(
    2,
    'refused-by-dlq',
    padded(envelope(2), randomBytes(700_000).toString('base64')),
    'PAYLOAD_TOO_LARGE',
  );

  /** The whole stream, in sends: valid events with small poison, the three large ones alone, then more of both. */
  function poisonStream(): { items: Planned[]; compression: CompressionTypes }[] {
    const half = Math.floor(events.length / 2);
    const first: Planned[] = [];
    for (let i = 0; i < half; i++) {
      first.push(valid(i));
      if (i % 5 === 4) first.push(...smallPoison(i % PARTITIONS).slice(0, 1 + (i % 7)));
    }
    const second: Planned[] = [];
    for (let i = half; i < events.length; i++) second.push(valid(i));
    for (let p = 0; p < PARTITIONS; p++) second.splice(p * 7, 0, ...smallPoison(p));
    // An event id used again with other content: a duplicate of the first, on its partition.
    const original = events[3] as (typeof events)[number];
    second.push({
      partition: partitionOf(original.key),
      message: { key: original.key, value: padded(original.event as CloudEventEnvelope, 'other content') },
      expect: { kind: 'duplicate' },
    });
    // Valid events with garbage headers (binary, invalid UTF-8, a broken traceparent): applied.
    for (let p = 0; p < PARTITIONS; p++) {
      const e = envelope(10 + p);
      const key = `${e.tenantid}/garbage-${p}`;
      const copy = { ...e, id: `garbage-headers-${p}`, entityid: `garbage-${p}`, data: { ...(e.data as object), id: `garbage-${p}` } };
      second.push({
        partition: p,
        message: {
          key,
          value: JSON.stringify(copy),
          headers: { traceparent: randomBytes(40), 'x-bin': Buffer.from([0xff, 0x00, 0xfe]), '': 'empty' },
        },
        expect: { kind: 'valid', eventId: copy.id },
      });
    }

    return [
      { items: first, compression: CompressionTypes.None },
      { items: [compressedOversize], compression: CompressionTypes.GZIP },
      { items: [atTheLimit], compression: CompressionTypes.None },
      { items: [refusedByDeadLetterTopic], compression: CompressionTypes.None },
      { items: second, compression: CompressionTypes.None },
    ];
  }

  /** Produces the stream's sends from `from` on (all by default) and appends what it sent to `plan`. */
  async function produceStream(topic: string, plan: Planned[], sends = poisonStream(), from = 0, to = sends.length): Promise<void> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const { items, compression } of sends.slice(from, to)) {
        plan.push(...items);
        await producer.send({ topic, acks: -1, compression, messages: items.map((x) => ({ ...x.message, partition: x.partition })) });
      }
    } finally {
      await producer.disconnect();
    }
  }

  beforeAll(async () => {
    topics = await createTopics(kafka, {
      events: PARTITIONS,
      deadletter: { partitions: 1, configs: { 'max.message.bytes': String(DEAD_LETTER_MAX_MESSAGE_BYTES) } },
      redriven: 1,
    });
    env = await freshWarehouse('it_poison');

    await produceStream(topics['events'] as string, plan);
  });

  afterAll(async () => {
    await deleteTopics(kafka, Object.values(topics));
    await env.drop();
  });

  async function highWatermarks(): Promise<Record<number, number>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return Object.fromEntries((await admin.fetchTopicOffsets(topics['events'] as string)).map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  const ids = async (warehouse: Warehouse, column: string, table: string) =>
    (await warehouse.query<Record<string, string>>({ sql: sql`SELECT ${ident(column)} FROM ${warehouse.table(table)}`, params: {} })).map(
      (r) => r[column] as string,
    );

  it('dead-letters every poison message, applies every valid event around them, and balances per partition', async () => {
    const lane = testLane({
      kafka,
      writer: env.writer,
      topics: { events: topics['events'] as string, deadletter: topics['deadletter'] as string },
      maxEventBytes: MAX_EVENT_BYTES,
    });
    await lane.start();
    try {
      const highs = await highWatermarks();
      const consumedOn = (p: number) => lane.ingestor.reconciliation()[`${topics['events']}/${p}`]?.consumed ?? 0;
      await eventually(
        () => Array.from({ length: PARTITIONS }, (_, p) => consumedOn(p) === highs[p]).every(Boolean),
        'every offset of every partition accounted for',
        180_000,
      );

      // Per partition: the messages on it, each counted once under the outcome planned for it.
      const reconciliation = lane.ingestor.reconciliation();
      for (let p = 0; p < PARTITIONS; p++) {
        const on = plan.filter((x) => x.partition === p);
        const r = reconciliation[`${topics['events']}/${p}`];
        expect(r).toMatchObject({
          consumed: on.length,
          dead_lettered: on.filter((x) => x.expect.kind === 'dead').length,
          duplicate: on.filter((x) => x.expect.kind === 'duplicate').length,
          redelivered: 0,
          uncommitted: 0,
          balanced: true,
        });
        expect((r?.applied ?? 0) + (r?.superseded ?? 0)).toBe(on.filter((x) => x.expect.kind === 'valid').length);
      }

      // Every valid event arrived, the ones right after each large poison message included.
      const raw = new Set(await ids(env.warehouse, 'event_id', 'events_raw'));
      const validIds = plan.flatMap((x) => (x.expect.kind === 'valid' ? [x.expect.eventId] : []));
      expect(validIds.filter((id) => !raw.has(id))).toEqual([]);

      // One dead_letters row per poison message, holding its original bytes.
      const poison = plan.filter((x) => x.expect.kind === 'dead');
      const rows = await env.warehouse.query<{ dead_letter_id: string; reason_code: string; payload: Buffer; kafka_partition: number }>({
        sql: sql`SELECT dead_letter_id, reason_code, payload, kafka_partition FROM ${env.warehouse.table('dead_letters')}`,
        params: {},
      });
      expect(rows).toHaveLength(poison.length);
      const rowOf = (x: Planned) =>
        rows.find((r) => sha(r.payload) === sha((x.message.value as Buffer | string | null) ?? '') && r.kafka_partition === x.partition);
      for (const x of [compressedOversize, atTheLimit, refusedByDeadLetterTopic]) expect(rowOf(x)?.reason_code).toBe('PAYLOAD_TOO_LARGE');

      // The dead-letter topic: one letter per poison message, compressed; the one it
      // could not hold as a stub with reason, position and digest.
      const letters = await readAll(kafka, topics['deadletter'] as string, poison.length);
      const positions = letters.map(
        (l) => `${l.headers[DEAD_LETTER_HEADERS.sourcePartition]}/${l.headers[DEAD_LETTER_HEADERS.sourceOffset]}`,
      );
      expect(new Set(positions).size).toBe(poison.length);
      for (const x of poison) {
        const reason = (x.expect as { reason?: string }).reason;
        if (reason) expect(letters.some((l) => l.headers[DEAD_LETTER_HEADERS.reason] === reason)).toBe(true);
      }
      const stubs = letters.filter((l) => l.headers[DEAD_LETTER_HEADERS.payload] === 'warehouse');
      expect(stubs).toHaveLength(1);
      const [stub] = stubs;
      expect(stub?.value).toBeNull();
      expect(stub?.headers[DEAD_LETTER_HEADERS.sourcePartition]).toBe('2');
      expect(stub?.headers[DEAD_LETTER_HEADERS.reason]).toBe('PAYLOAD_TOO_LARGE');
      expect(stub?.headers[DEAD_LETTER_HEADERS.sha256]).toBe(sha(refusedByDeadLetterTopic.message.value as string));
      const whole = letters.find((l) => l.value && sha(l.value) === sha(compressedOversize.message.value as string));
      expect(whole?.headers[DEAD_LETTER_HEADERS.payload]).toBe('inline');
      expect(letters.find((l) => l.value && sha(l.value) === sha(atTheLimit.message.value as string))).toBeDefined();

      const metrics = await lane.metrics.registry.metrics();
      expect(metrics).toMatch(/phoenix_ingest_dead_letter_fallbacks_total\{error="MESSAGE_TOO_LARGE",result="stub",topic="[^"]+"\} 1/);
      expect(lane.ingestor.readiness().ready).toBe(true);
    } finally {
      await lane.stop();
    }
  });

  it('re-drives the stub with its original bytes from the dead_letters row', async () => {
    // After a fix (a larger limit), the letter that was too large for the dead-letter topic passes.
    const run = spawnSync(
      join(root, 'node_modules/.bin/tsx'),
      [
        '--tsconfig',
        join(root, 'apps/ingest/tsconfig.app.json'),
        join(root, 'apps/ingest/src/cli/redrive.ts'),
        '--json',
        '--reason',
        'PAYLOAD_TOO_LARGE',
        '--max-bytes',
        '1000000',
        '--to',
        topics['redriven'] as string,
      ],
      {
        cwd: root,
        env: { ...process.env, TOPIC_DEADLETTER: topics['deadletter'] as string, BIGQUERY_DATASET: env.warehouse.config.datasetId },
        encoding: 'utf8',
      },
    );
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as RedriveSummary;
    // The compressed 2 MB one and the 1 MB one are still over the limit; the stub's original is not.
    expect(summary).toMatchObject({ matched: 3, redriven: 1, stillInvalid: 2, stubsResolved: 1, stubsMissing: 0, marked: 1 });
    const [republished] = await readAll(kafka, topics['redriven'] as string, 1);
    expect(sha(republished?.value ?? null)).toBe(sha(refusedByDeadLetterTopic.message.value as string));
    expect(republished?.key).toBe(refusedByDeadLetterTopic.message.key);
    expect(republished?.headers[DEAD_LETTER_HEADERS.redriveCount]).toBe('1');
    const [row] = await env.warehouse.query<{ redriven_at: string | null }>({
      sql: sql`SELECT redriven_at FROM ${env.warehouse.table('dead_letters')} WHERE kafka_partition = 2 AND reason_code = 'PAYLOAD_TOO_LARGE'`,
      params: {},
    });
    expect(row?.redriven_at).not.toBeNull();
  });

  it('dead-letters them across a kill -9 of the ingest process: one row each, copies on the topic only with the same source position, every valid event applied', async () => {
    const own = await createTopics(kafka, {
      events: PARTITIONS,
      backfill: 1,
      deadletter: { partitions: 1, configs: { 'max.message.bytes': String(DEAD_LETTER_MAX_MESSAGE_BYTES) } },
    });
    const warehouse = await freshWarehouse('it_poison_kill');
    const groupId = uniqueName('it-poison-kill');
    const processEnv = {
      TOPIC_EVENTS: own['events'] as string,
      TOPIC_BACKFILL: own['backfill'] as string,
      TOPIC_DEADLETTER: own['deadletter'] as string,
      INGEST_GROUP_ID: groupId,
      INGEST_BACKFILL_GROUP_ID: uniqueName('it-poison-kill-backfill'),
      INGEST_LANES: 'live',
      INGEST_MAX_BATCH: '20',
      INGEST_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES),
      BIGQUERY_DATASET: warehouse.warehouse.config.datasetId,
    };
    const sent: Planned[] = [];
    const sends = poisonStream();
    try {
      await produceStream(own['events'] as string, sent, sends, 0, sends.length - 1);
      const first = new IngestProcess(processEnv);
      await first.started();
      // Killed as soon as it committed anything: the large messages and the rest are in hand.
      await eventually(async () => (await first.consumed()) > 0, 'the first process committed something', 120_000);
      first.kill('SIGKILL');
      await first.exit();
      await produceStream(own['events'] as string, sent, sends, sends.length - 1);

      const admin = kafka.admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId, topics: [own['events'] as string] });
      const highs = Object.fromEntries((await admin.fetchTopicOffsets(own['events'] as string)).map((o) => [o.partition, Number(o.high)]));
      await admin.disconnect();
      const committedOf = (p: number) => Math.max(0, Number(committed?.partitions.find((x) => x.partition === p)?.offset ?? '-1'));

      const second = new IngestProcess(processEnv);
      await second.started();
      type Tally = Record<string, number | boolean>;
      const partitionOfSecond = async (p: number) =>
        ((await second.reconciliation()) as unknown as Record<string, Record<string, Tally>>)['live']?.[`${own['events']}/${p}`];
      // The second process counts exactly the offsets after the first one's last commit.
      await eventually(
        async () => {
          for (let p = 0; p < PARTITIONS; p++) {
            const expected = (highs[p] ?? 0) - committedOf(p);
            if (expected > 0 && (await partitionOfSecond(p))?.['consumed'] !== expected) return false;
          }
          return true;
        },
        'the second process counted every offset after the last commit',
        180_000,
      );
      for (let p = 0; p < PARTITIONS; p++) {
        const r = await partitionOfSecond(p);
        if ((highs[p] ?? 0) - committedOf(p) > 0) expect(r).toMatchObject({ balanced: true, uncommitted: 0 });
      }

      const raw = new Set(await ids(warehouse.warehouse, 'event_id', 'events_raw'));
      expect(sent.flatMap((x) => (x.expect.kind === 'valid' && !raw.has(x.expect.eventId) ? [x.expect.eventId] : []))).toEqual([]);
      const poison = sent.filter((x) => x.expect.kind === 'dead');
      expect(await ids(warehouse.warehouse, 'dead_letter_id', 'dead_letters')).toHaveLength(poison.length);

      // The topic holds each dead letter at least once; a copy (published again after the
      // kill, before the first process's commit) has the same source position and digest.
      const dlqAdmin = kafka.admin();
      await dlqAdmin.connect();
      const [dlq] = await dlqAdmin.fetchTopicOffsets(own['deadletter'] as string);
      await dlqAdmin.disconnect();
      const letters = await readAll(kafka, own['deadletter'] as string, Number(dlq?.high));
      const byPosition = new Map<string, Set<string>>();
      for (const l of letters) {
        const position = `${l.headers[DEAD_LETTER_HEADERS.sourcePartition]}/${l.headers[DEAD_LETTER_HEADERS.sourceOffset]}`;
        const digests = byPosition.get(position) ?? new Set();
        digests.add(`${l.headers[DEAD_LETTER_HEADERS.reason]} ${l.headers[DEAD_LETTER_HEADERS.sha256]}`);
        byPosition.set(position, digests);
      }
      expect(byPosition.size).toBe(poison.length);
      expect([...byPosition.values()].every((d) => d.size === 1)).toBe(true);

      // The start-up check saw the dead-letter topic accept less than its source.
      expect(second.lines.some((l) => l.includes('the dead-letter topic accepts smaller records than its source topic'))).toBe(true);
      const metrics = await (await fetch(`http://127.0.0.1:${second.port}/metrics`)).text();
      expect(metrics).toMatch(/phoenix_ingest_dead_letter_topic_too_small\{topic="[^"]+",dead_letter_topic="[^"]+"\} 1/);
    } finally {
      await killAll();
      await deleteTopics(kafka, Object.values(own));
      await warehouse.drop();
    }
  });
});
