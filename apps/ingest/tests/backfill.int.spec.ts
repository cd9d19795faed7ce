import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { type CloudEventEnvelope } from '@phoenix/domain';
import { generateEventList, type GeneratedMessage } from '@phoenix/fixtures';
import {
  loadCheckpoint,
  CSV_COLUMNS,
  formatCsvRow,
  IMPORT_HEADERS,
  runImport,
  type ImportResult,
  createPublisher,
  readTopicToEnd,
  type DeadLetter,
  createKafka,
} from '@phoenix/ingest';
import { loadEnvironment } from '../src/environment';
import { createLogger } from '@phoenix/service';

const root = join(__dirname, '..', '..', '..');

/**
 * The backfill lane's import against the real local broker: what lands on the topic
 * is exactly the valid events of the file, once each — also when the import is
 * interrupted with Ctrl-C and run again.
 */
describe('import into the backfill topic', () => {
  const logger = createLogger({ level: 'warn', name: 'ingest-test', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const { kafka: kafkaConfig } = loadEnvironment(process.env);
  const suffix = randomBytes(4).toString('hex');
  const topics = {
    ndjson: `it.backfill.ndjson.${suffix}`,
    csv: `it.backfill.csv.${suffix}`,
    resume: `it.backfill.resume.${suffix}`,
    crash: `it.backfill.crash.${suffix}`,
  };
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-backfill-it-'));
  let kafka: Kafka;

  beforeAll(async () => {
    kafka = createKafka({ ...kafkaConfig, clientId: `it-backfill-${suffix}` }, logger);
    const admin = kafka.admin();
    await admin.connect();
    // Topics are never auto-created in Phoenix: create them up front.
    await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  async function readAll(topic: string): Promise<DeadLetter[]> {
    const messages: DeadLetter[] = [];
    await readTopicToEnd(kafka, topic, async (batch) => void messages.push(...batch), { groupPrefix: 'it-backfill-read' });
    return messages;
  }
  const eventId = (m: DeadLetter) => (JSON.parse(String(m.value)) as { id: string }).id;

  /** A generated export: valid events and malformed lines (oversized ones kept small with a 4 KiB limit). */
  function exportFile(name: string, options: { seed: number; tenants: number; days: number }) {
    const list = generateEventList({ ...options, malformed: 0.05, duplicates: 0, maxEventBytes: 4096 });
    const file = join(dir, name);
    writeFileSync(file, `${list.map((m) => m.value).join('\n')}\n`);
    const valid = list.filter((m) => m.kind === 'event');
    const expectedReasons: Record<string, number> = {};
    for (const m of list)
      if (m.expectedProblem) expectedReasons[m.expectedProblem.code] = (expectedReasons[m.expectedProblem.code] ?? 0) + 1;
    return { file, list, valid, expectedReasons };
  }

  it('publishes exactly the valid events of an NDJSON export, once each, and counts rejects by the reasons the generator planted', async () => {
    const { file, list, valid, expectedReasons } = exportFile('generated.ndjson', { seed: 31, tenants: 2, days: 5 });
    const publisher = createPublisher(kafka);
    await publisher.connect();
    let result: ImportResult;
    try {
      result = await runImport(
        { file, format: 'ndjson', topic: topics.ndjson, maxBytes: 4096, batchSize: 500, stateDir: join(dir, 'state') },
        { send: (topic, messages) => publisher.send(topic, messages) },
      );
    } finally {
      await publisher.disconnect();
    }

    const onTopic = await readAll(topics.ndjson);
    const ids = onTopic.map(eventId);
    expect(ids).toHaveLength(valid.length);
    expect(new Set(ids)).toEqual(new Set(valid.map((m) => (m.event as CloudEventEnvelope).id)));
    expect(result.status).toBe('complete');
    expect(result.total).toMatchObject({ lines: list.length, published: valid.length, rejected: list.length - valid.length });
    expect(result.total.rejectedByReason).toEqual(expectedReasons);

    // Each message is keyed tenant/entity and points back at its line.
    const byLine = new Map(list.map((m, i) => [String(i + 1), m]));
    for (const message of onTopic) {
      const origin = byLine.get(String(message.headers[IMPORT_HEADERS.line])) as GeneratedMessage;
      expect(String(message.value)).toBe(origin.value);
      expect(String(message.key)).toBe(origin.key);
      expect(String(message.headers['traceparent'])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });

  it('publishes the rows of a CSV export as CloudEvents envelopes', async () => {
    const events = generateEventList({ seed: 33, tenants: 1, days: 1 })
      .filter((m) => m.kind === 'event')
      .slice(0, 20)
      .map((m) => m.event as CloudEventEnvelope);
    const rows = events.map((e) => formatCsvRow([e.id, e.source, e.type, e.time, e.tenantid, e.entityid, e.seq, JSON.stringify(e.data)]));
    const file = join(dir, 'export.csv');
    writeFileSync(file, `${CSV_COLUMNS.join(',')}\n${rows.join('\n')}\nbroken,"row\n`);
    const publisher = createPublisher(kafka);
    await publisher.connect();
    const result = await runImport(
      { file, format: 'csv', topic: topics.csv, maxBytes: 1024 * 1024, batchSize: 500, stateDir: join(dir, 'state') },
      { send: (topic, messages) => publisher.send(topic, messages) },
    ).finally(() => publisher.disconnect());

    expect(result.total).toMatchObject({ published: 20, rejected: 1, rejectedByReason: { MALFORMED_CSV: 1 } });
    const onTopic = await readAll(topics.csv);
    const received = new Map(onTopic.map((m) => [eventId(m), JSON.parse(String(m.value)) as Record<string, unknown>]));
    expect(received.size).toBe(20);
    for (const { subject: _subject, ...event } of events) expect(received.get(event.id)).toEqual(event);
  });

  it('interrupted with SIGINT and run again, the import gives exactly the events of the file', async () => {
    const { file, list, valid } = exportFile('large.ndjson', { seed: 37, tenants: 4, days: 40 });
    expect(list.length).toBeGreaterThan(15_000);
    const args = [file, '--topic', topics.resume, '--max-bytes', '4096', '--state-dir', join(dir, 'resume-state'), '--json'];

    // First run, slowed down so that there is time to interrupt it mid-file.
    const first = await runCli([...args, '--max-rate', '4000', '--batch', '200'], {
      interruptWhen: (stderr) => /· [1-9][\d,]* published/.test(stderr),
    });
    expect(first.code).toBe(130);
    const interrupted = JSON.parse(first.stdout) as ImportResult;
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.lastLine).toBeGreaterThan(0);
    expect(interrupted.lastLine).toBeLessThan(list.length);
    expect(first.stderr).toMatch(/SIGINT: finishing the batch in flight and writing the checkpoint/);
    expect(existsSync(interrupted.checkpointFile)).toBe(true);
    expect(await loadCheckpoint(interrupted.checkpointFile)).toMatchObject({ line: interrupted.lastLine, complete: false });

    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`resuming after line ${interrupted.lastLine}`);
    const resumed = JSON.parse(second.stdout) as ImportResult;
    expect(resumed.status).toBe('complete');

    const ids = (await readAll(topics.resume)).map(eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(valid.map((m) => (m.event as CloudEventEnvelope).id)));
    expect(interrupted.run.published + resumed.run.published).toBe(valid.length);
    expect(interrupted.run.lines + resumed.run.lines).toBe(list.length);
    expect(resumed.total).toMatchObject({ lines: list.length, published: valid.length, rejected: list.length - valid.length });
  }, 180_000);

  it('killed with SIGKILL mid-file and run again, every event of the file is on the topic; only batches in flight may go twice', async () => {
    const { file, list, valid } = exportFile('crash.ndjson', { seed: 38, tenants: 4, days: 40 });
    const batch = 200;
    const args = [file, '--topic', topics.crash, '--max-bytes', '4096', '--state-dir', join(dir, 'crash-state'), '--json'];
    const first = await runCli([...args, '--max-rate', '4000', '--batch', String(batch)], {
      interruptWhen: (stderr) => /· [1-9][\d,]* published/.test(stderr),
      signal: 'SIGKILL',
    });
    expect(first.signal).toBe('SIGKILL');

    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/resuming after line \d+/);
    const resumed = JSON.parse(second.stdout) as ImportResult;
    expect(resumed.status).toBe('complete');
    expect(resumed.total.lines).toBe(list.length);

    const ids = (await readAll(topics.crash)).map(eventId);
    expect(new Set(ids)).toEqual(new Set(valid.map((m) => (m.event as CloudEventEnvelope).id)));
    // The checkpoint moves after each acknowledged batch, and reading overlaps one send:
    // at most the batches in flight at the kill are on the topic twice.
    expect(ids.length - new Set(ids).size).toBeLessThanOrEqual(2 * batch);
  }, 180_000);

  /**
   * Runs the import command as an operator would; optionally sends `signal` (SIGINT by
   * default) once stderr shows `interruptWhen`. Node itself with tsx as a loader, not
   * the tsx CLI, so that a SIGKILL reaches the import and not a wrapper around it.
   */
  function runCli(args: string[], options: { interruptWhen?: (stderr: string) => boolean; signal?: NodeJS.Signals } = {}) {
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps/ingest/src/cli/import.ts'), ...args], {
        cwd: root,
        env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'apps/ingest/tsconfig.app.json') },
      });
      let stdout = '';
      let stderr = '';
      let interrupted = false;
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (!interrupted && options.interruptWhen?.(stderr)) {
          interrupted = true;
          child.kill(options.signal ?? 'SIGINT');
        }
      });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }
});
