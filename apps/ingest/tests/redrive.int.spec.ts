import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { IHeaders, Kafka } from 'kafkajs';
import { deadLetterRow, insertDeadLettersStatement, migrate, sql, type Warehouse } from '@phoenix/bq';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { validateEvent, type CloudEventEnvelope } from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import {
  readTopicToEnd,
  type DeadLetter,
  type RedriveSummary,
  createKafka,
  DEAD_LETTER_HEADERS,
  deadLetterHeaders,
  deadLetterId,
} from '@phoenix/ingest';
import { loadEnvironment } from '../src/environment';
import { createLogger } from '@phoenix/service';

const root = join(__dirname, '..', '..', '..');
const tsx = join(root, 'node_modules/.bin/tsx');

/**
 * Re-driving dead letters against the real local broker: only what passes validation
 * now is republished, unchanged but for its redrive count; the rest is reported.
 */
describe('redrive from the dead-letter topic', () => {
  const logger = createLogger({ level: 'warn', name: 'ingest-test', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const { kafka: kafkaConfig } = loadEnvironment(process.env);
  const suffix = randomBytes(4).toString('hex');
  const topics = { deadLetter: `it.redrive.dlq.${suffix}`, source: `it.redrive.src.${suffix}`, to: `it.redrive.to.${suffix}` };
  let kafka: Kafka;

  const [event, other] = generateEventList({ seed: 41, tenants: 1, days: 1 })
    .filter((m) => m.kind === 'event')
    .map((m) => m.event as CloudEventEnvelope);
  // Valid, but over the 1 KiB limit it was dead-lettered under: fixable by a larger limit.
  const oversized = JSON.stringify({ ...event, padding: 'p'.repeat(2000) });
  const key = `${event?.tenantid}/${event?.entityid}`;
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  let warehouse: Warehouse;
  const filed: ReturnType<typeof deadLetterRow>[] = [];

  /**
   * Files a dead letter the way the ingest does: the original message plus the
   * dead-letter headers on the topic, and its row in the dead_letters table.
   */
  function deadLetter(value: string, receivedAt: string, offset: string, original: IHeaders = {}) {
    const result = validateEvent(value, { maxBytes: 1024 });
    if (result.ok) throw new Error('fixture: a dead letter must be invalid');
    const position = { topic: topics.source, partition: 0, offset };
    filed.push(
      deadLetterRow({
        deadLetterId: deadLetterId(position.topic, position.partition, position.offset),
        problems: result.problems,
        partial: {},
        value: Buffer.from(value),
        key: Buffer.from(key),
        headers: {},
        position,
        receivedAt,
      }),
    );
    return { key, value, headers: deadLetterHeaders(original, result.problems, { ...position, receivedAt }) };
  }

  const redrivenAt = async () =>
    Object.fromEntries(
      (
        await warehouse.query<{ dead_letter_id: string; redriven_at: string | null }>({
          sql: sql`SELECT dead_letter_id, redriven_at FROM ${warehouse.table('dead_letters')}`,
          params: {},
        })
      ).map((r) => [r.dead_letter_id.split('/').pop(), r.redriven_at]),
    );

  beforeAll(async () => {
    kafka = createKafka({ ...kafkaConfig, clientId: `it-redrive-${suffix}` }, logger);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: topics.deadLetter, numPartitions: 2 },
        { topic: topics.source, numPartitions: 3 },
        { topic: topics.to, numPartitions: 3 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.deadLetter,
      messages: [
        deadLetter(oversized, '2026-01-05T09:00:00.000Z', '7', { traceparent, 'x-origin': 'huddle' }),
        deadLetter('{"specversion":"1.0","id":', '2026-01-05T10:00:00.000Z', '8'),
        deadLetter(JSON.stringify({ ...other, tenantid: undefined }), '2026-01-01T08:00:00.000Z', '9'),
      ],
    });
    await producer.disconnect();
    warehouse = createTestWarehouse('it_redrive', process.env);
    await migrate(warehouse);
    await warehouse.execute(insertDeadLettersStatement(warehouse, filed));
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await dropTestDataset(warehouse);
  });

  async function readAll(topic: string): Promise<DeadLetter[]> {
    const messages: DeadLetter[] = [];
    await readTopicToEnd(kafka, topic, async (batch) => void messages.push(...batch), { groupPrefix: 'it-redrive-read' });
    return messages;
  }

  function redrive(...args: string[]): { code: number | null; summary: RedriveSummary; stderr: string } {
    const run = spawnSync(
      tsx,
      ['--tsconfig', join(root, 'apps/ingest/tsconfig.app.json'), join(root, 'apps/ingest/src/cli/redrive.ts'), '--json', ...args],
      {
        cwd: root,
        env: { ...process.env, TOPIC_DEADLETTER: topics.deadLetter, BIGQUERY_DATASET: warehouse.config.datasetId },
        encoding: 'utf8',
      },
    );
    return {
      code: run.status,
      summary: run.stdout ? (JSON.parse(run.stdout) as RedriveSummary) : ({} as RedriveSummary),
      stderr: run.stderr,
    };
  }

  it('a dry run counts what would be redriven and publishes nothing', async () => {
    const { code, summary } = redrive('--dry-run', '--to', topics.to, '--max-bytes', '4096');
    expect(code).toBe(0);
    expect(summary).toMatchObject({
      dryRun: true,
      examined: 3,
      matched: 3,
      redriven: 1,
      stillInvalid: 2,
      stillInvalidByReason: { MALFORMED_JSON: 1, MISSING_TENANT: 1 },
    });
    expect(await readAll(topics.to)).toHaveLength(0);
    expect(await redrivenAt()).toEqual({ 7: null, 8: null, 9: null });
  });

  it('republishes only the letter that passes now, with its key, bytes and headers and a redrive count of 1, and marks its row', async () => {
    const before = Date.now();
    const { code, summary } = redrive('--to', topics.to, '--max-bytes', '4096');
    expect(code).toBe(0);
    expect(summary).toMatchObject({
      examined: 3,
      matched: 3,
      redriven: 1,
      redrivenByTopic: { [topics.to]: 1 },
      stillInvalid: 2,
      marked: 1,
      notMarked: 0,
    });
    // The audit API's redrivenAt: set on the re-driven letter's row only.
    const marks = await redrivenAt();
    expect(marks).toMatchObject({ 8: null, 9: null });
    expect(Date.parse(marks['7'] as string)).toBeGreaterThanOrEqual(before - 1000);

    const [message, ...more] = await readAll(topics.to);
    expect(more).toHaveLength(0);
    expect(String(message?.key)).toBe(key);
    expect(String(message?.value)).toBe(oversized);
    const headers = Object.fromEntries(Object.entries(message?.headers ?? {}).map(([k, v]) => [k, String(v)]));
    expect(headers).toEqual({ traceparent, 'x-origin': 'huddle', [DEAD_LETTER_HEADERS.redriveCount]: '1' });
    // The dead letters themselves stay where they are.
    expect(await readAll(topics.deadLetter)).toHaveLength(3);
  });

  it('still rejects under the old limit, and filters by reason and time', () => {
    expect(redrive('--dry-run', '--max-bytes', '1024').summary).toMatchObject({
      redriven: 0,
      stillInvalidByReason: { PAYLOAD_TOO_LARGE: 1 },
    });
    expect(redrive('--dry-run', '--reason', 'MALFORMED_JSON').summary).toMatchObject({
      examined: 3,
      matched: 1,
      redriven: 0,
      stillInvalid: 1,
    });
    expect(redrive('--dry-run', '--since', '2026-01-05', '--until', '2026-01-05T09:30:00Z').summary).toMatchObject({
      matched: 1,
      redriven: 1,
    });
  });

  it('without --to, sends the letter back to the topic it came from', async () => {
    const { summary } = redrive('--reason', 'PAYLOAD_TOO_LARGE', '--max-bytes', '4096');
    expect(summary).toMatchObject({ matched: 1, redriven: 1, redrivenByTopic: { [topics.source]: 1 } });
    const onSource = await readAll(topics.source);
    expect(onSource.map((m) => String(m.value))).toEqual([oversized]);
  });

  it('exits 1 and says what to check when the dead-letter topic does not exist', () => {
    const run = spawnSync(tsx, ['--tsconfig', join(root, 'apps/ingest/tsconfig.app.json'), join(root, 'apps/ingest/src/cli/redrive.ts')], {
      cwd: root,
      env: { ...process.env, TOPIC_DEADLETTER: `it.redrive.missing.${suffix}` },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/topic\(s\) it\.redrive\.missing\.\w+ do not exist; check TOPIC_DEADLETTER/);
  });
});
