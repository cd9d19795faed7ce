import { appendFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { type CloudEventEnvelope } from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import { importStatePaths, loadCheckpoint } from './checkpoint';
import { CSV_COLUMNS, formatCsvRow, ImportError } from './formats';
import { IMPORT_HEADERS, runImport, type ImportDeps, type ImportOptions, type ImportProgress } from './import';
import { MAX_SEND_BYTES, messageBytes } from './messages';

const EVENTS = generateEventList({ seed: 11, tenants: 1, days: 2 })
  .filter((m) => m.kind === 'event')
  .map((m) => m.event as CloudEventEnvelope)
  .slice(0, 120);

/** 120 valid events, a malformed line after every 10th, a blank line after every 25th. */
function ndjsonFixture(): { content: string; validIds: string[]; malformedLines: number[] } {
  const lines: string[] = [];
  const malformedLines: number[] = [];
  EVENTS.forEach((event, i) => {
    lines.push(JSON.stringify(event));
    if (i % 10 === 9) {
      lines.push(`{"id":"broken-${i}", "data": {"email": "someone@example.com"`);
      malformedLines.push(lines.length);
    }
    if (i % 25 === 24) lines.push('');
  });
  return { content: `${lines.join('\n')}\n`, validIds: EVENTS.map((e) => e.id), malformedLines };
}

interface Sent {
  topic: string;
  messages: Message[];
}

/** A fake producer: records what was sent; `onSend` may fail or interrupt on the n-th send. */
function fakeDeps(
  onSend?: (call: number) => void | Promise<void>,
): ImportDeps & { sent: Sent[]; notices: string[]; progress: ImportProgress[] } {
  const sent: Sent[] = [];
  const notices: string[] = [];
  const progress: ImportProgress[] = [];
  let calls = 0;
  return {
    sent,
    notices,
    progress,
    async send(topic, messages) {
      calls += 1;
      await onSend?.(calls);
      sent.push({ topic, messages });
    },
    onNotice: (text) => notices.push(text),
    onProgress: (p) => progress.push(p),
  };
}

const idsOf = (sent: Sent[]) => sent.flatMap((s) => s.messages.map((m) => (JSON.parse(String(m.value)) as { id: string }).id));

describe('runImport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-import-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  function setup(content: string, name = 'export.ndjson') {
    n += 1;
    const file = join(dir, `${n}-${name}`);
    writeFileSync(file, content);
    const options: ImportOptions = {
      file,
      format: name.endsWith('.csv') ? 'csv' : 'ndjson',
      topic: 'phoenix.backfill',
      maxBytes: 64 * 1024,
      batchSize: 25,
      stateDir: join(dir, `state-${n}`),
    };
    return { file, options };
  }

  it('publishes every valid line once, keyed tenant/entity, with a fresh traceparent and the line it came from', async () => {
    const fixture = ndjsonFixture();
    const { file, options } = setup(fixture.content);
    const deps = fakeDeps();
    const result = await runImport(options, deps);

    expect(result.status).toBe('complete');
    expect(idsOf(deps.sent)).toEqual(fixture.validIds);
    expect(deps.sent.every((s) => s.topic === 'phoenix.backfill' && s.messages.length <= 25)).toBe(true);
    const first = deps.sent[0]?.messages[0] as Message;
    const event = EVENTS[0] as CloudEventEnvelope;
    expect(first.key).toBe(`${event.tenantid}/${event.entityid}`);
    expect(String(first.value)).toBe(JSON.stringify(event));
    expect(first.headers).toEqual({
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      [IMPORT_HEADERS.file]: file,
      [IMPORT_HEADERS.line]: '1',
    });
    const traceparents = new Set(deps.sent.flatMap((s) => s.messages.map((m) => String(m.headers?.['traceparent']))));
    expect(traceparents.size).toBe(fixture.validIds.length);
  });

  it('counts rejects by reason and lists each rejected line in the rejects file, without the event content', async () => {
    const fixture = ndjsonFixture();
    const { options } = setup(fixture.content);
    const result = await runImport(options, fakeDeps());

    expect(result.total).toEqual({
      lines: fixture.content.split('\n').length - 1,
      published: 120,
      rejected: 12,
      rejectedByReason: { MALFORMED_JSON: 12 },
      skipped: 4,
    });
    const rejects = readFileSync(result.rejectsFile, 'utf8');
    const records = rejects
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string; problems: unknown[] });
    expect(records.map((r) => r.line)).toEqual(fixture.malformedLines);
    expect(records.every((r) => r.reason === 'MALFORMED_JSON' && r.problems.length === 1)).toBe(true);
    expect(rejects).not.toContain('someone@example.com');
  });

  it('keeps every send under the byte bound, however few messages it holds', async () => {
    // 100 KB extension attributes: validation ignores unknown attributes, so these stay valid.
    const big = EVENTS.slice(0, 30).map((e) => JSON.stringify({ ...e, padding: 'p'.repeat(100_000) }));
    const { options } = setup(`${big.join('\n')}\n`);
    const deps = fakeDeps();
    await runImport({ ...options, maxBytes: 200_000, batchSize: 500 }, deps);
    expect(idsOf(deps.sent)).toHaveLength(30);
    expect(deps.sent.length).toBeGreaterThanOrEqual(4);
    for (const s of deps.sent) expect(s.messages.reduce((sum, m) => sum + messageBytes(m), 0)).toBeLessThanOrEqual(MAX_SEND_BYTES);
  });

  it('on interrupt finishes the send in flight and checkpoints after it; the resumed run publishes the rest, each event once', async () => {
    const fixture = ndjsonFixture();
    const { options } = setup(fixture.content);
    const controller = new AbortController();
    const first = fakeDeps((call) => {
      if (call === 3) controller.abort();
    });
    const interrupted = await runImport({ ...options, signal: controller.signal }, first);

    expect(interrupted.status).toBe('interrupted');
    expect(first.sent).toHaveLength(3);
    expect(interrupted.total.published).toBe(idsOf(first.sent).length);
    const checkpoint = await loadCheckpoint(interrupted.checkpointFile);
    expect(checkpoint).toMatchObject({ complete: false, line: interrupted.lastLine, totals: interrupted.total });
    // The checkpoint's line is the line of the last acknowledged message.
    const lastSent = first.sent[2]?.messages.at(-1);
    expect(String(lastSent?.headers?.[IMPORT_HEADERS.line])).toBe(String(interrupted.lastLine));

    const second = fakeDeps();
    const resumed = await runImport(options, second);
    expect(resumed.status).toBe('complete');
    expect(resumed.resumedAfterLine).toBe(interrupted.lastLine);
    expect(second.notices).toContain(
      `resuming after line ${interrupted.lastLine} (${interrupted.total.published} published, ${interrupted.total.rejected} rejected so far)`,
    );
    expect([...idsOf(first.sent), ...idsOf(second.sent)]).toEqual(fixture.validIds);
    expect(resumed.run.published + interrupted.run.published).toBe(120);
    expect(resumed.run.rejected + interrupted.run.rejected).toBe(12);
    expect(resumed.total).toEqual({
      lines: resumed.run.lines + interrupted.run.lines,
      published: 120,
      rejected: 12,
      rejectedByReason: { MALFORMED_JSON: 12 },
      skipped: 4,
    });
    const rejectLines = readFileSync(resumed.rejectsFile, 'utf8').trim().split('\n');
    expect(rejectLines.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual(fixture.malformedLines);
  });

  it('checkpoints a long stretch of rejects batch by batch, without waiting for a valid line', async () => {
    const bad = Array.from({ length: 60 }, (_, i) => `{"id":"bad-${i}"`);
    const { file, options } = setup(`${bad.join('\n')}\n${JSON.stringify(EVENTS[0])}\n`);
    let lineWhenSending: unknown;
    await runImport(
      { ...options, batchSize: 10 },
      fakeDeps(async () => {
        const found = await loadCheckpoint(importStatePaths(options.stateDir, realpathSync(file), options.topic).checkpoint);
        lineWhenSending = typeof found === 'object' ? found.line : found;
      }),
    );
    // The only send carries line 61; by then the six batches of rejects before it are checkpointed.
    expect(lineWhenSending).toBe(60);
  });

  it('stops with an ImportError that says where to resume when a send fails; the next run sends that batch again', async () => {
    const fixture = ndjsonFixture();
    const { options } = setup(fixture.content);
    const failing = fakeDeps((call) => {
      if (call === 3) throw new Error('Broker: not enough replicas');
    });
    const error = await runImport(options, failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(
      /publishing to phoenix.backfill failed \(Broker: not enough replicas\); lines 1-\d+ are published/,
    );
    expect((error as Error).message).toMatch(/run the same command again to resume/);

    const retry = fakeDeps();
    const result = await runImport(options, retry);
    expect(result.status).toBe('complete');
    expect([...idsOf(failing.sent), ...idsOf(retry.sent)]).toEqual(fixture.validIds);
  });

  it('cuts the rejects file back to the checkpoint on resume, so a run killed after writing rejects lists none twice', async () => {
    const fixture = ndjsonFixture();
    const { options } = setup(fixture.content);
    const controller = new AbortController();
    const interrupted = await runImport(
      { ...options, signal: controller.signal },
      fakeDeps((call) => void (call === 2 && controller.abort())),
    );
    // What a killed run could leave behind: rejects of lines past the checkpoint.
    appendFileSync(interrupted.rejectsFile, '{"line":999,"reason":"MALFORMED_JSON","problems":[]}\n');
    const resumed = await runImport(options, fakeDeps());
    const lines = readFileSync(resumed.rejectsFile, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual(fixture.malformedLines);
  });

  it('starts over from line 1 with a warning when the file changed since the checkpoint', async () => {
    const fixture = ndjsonFixture();
    const { file, options } = setup(fixture.content);
    const controller = new AbortController();
    await runImport(
      { ...options, signal: controller.signal },
      fakeDeps((call) => void (call === 1 && controller.abort())),
    );
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const again = fakeDeps();
    const result = await runImport(options, again);
    expect(again.notices).toEqual([expect.stringMatching(/^warning: the file changed since the checkpoint.*starting over from line 1/)]);
    expect(result.resumedAfterLine).toBeNull();
    expect(idsOf(again.sent)).toEqual(fixture.validIds);
  });

  it('publishes nothing for a file already imported completely, unless --restart', async () => {
    const fixture = ndjsonFixture();
    const { options } = setup(fixture.content);
    await runImport(options, fakeDeps());
    const again = fakeDeps();
    const result = await runImport(options, again);
    expect(result.status).toBe('already-complete');
    expect(again.sent).toHaveLength(0);
    expect(result.total.published).toBe(120);

    const restarted = fakeDeps();
    const fresh = await runImport({ ...options, restart: true }, restarted);
    expect(fresh.status).toBe('complete');
    expect(idsOf(restarted.sent)).toEqual(fixture.validIds);
    expect(restarted.notices).toEqual([expect.stringMatching(/--restart/)]);
  });

  it('reports progress at most once per interval, with this run’s counts and the bytes read', async () => {
    const fixture = ndjsonFixture();
    const { options } = setup(fixture.content);
    let clock = 0;
    const deps = { ...fakeDeps(), now: () => (clock += 7) };
    await runImport({ ...options, progressIntervalMs: 200 }, deps);
    expect(deps.progress.length).toBeGreaterThan(2);
    // The last report comes at the end, whenever that is; the ones before are throttled.
    const throttled = deps.progress.slice(0, -1);
    throttled.slice(1).forEach((p, i) => expect(p.elapsedMs - (throttled[i] as ImportProgress).elapsedMs).toBeGreaterThanOrEqual(200));
    const last = deps.progress.at(-1) as ImportProgress;
    expect(last).toMatchObject({ published: 120, rejected: 12, bytesRead: last.fileSize, startOffset: 0 });
  });

  it('holds the pace to --max-rate lines per second', async () => {
    const fixture = ndjsonFixture();
    const { options } = setup(fixture.content);
    const sleeps: number[] = [];
    const deps = { ...fakeDeps(), now: () => 0, sleep: async (ms: number) => void sleeps.push(ms) };
    const result = await runImport({ ...options, maxRate: 100 }, deps);
    // With a clock that never moves, each send waits for all lines read so far at 100 lines/s.
    expect(sleeps.at(-1)).toBe(result.total.lines * 10);
  });

  it('imports a CSV export: the header is skipped and each row goes out as a CloudEvents envelope', async () => {
    const rows = EVENTS.slice(0, 5).map((e) =>
      formatCsvRow([e.id, e.source, e.type, e.time, e.tenantid, e.entityid, e.seq, JSON.stringify(e.data)]),
    );
    const { options } = setup(`${CSV_COLUMNS.join(',')}\r\n${rows.join('\r\n')}\r\nonly,three,fields\r\n`, 'export.csv');
    const deps = fakeDeps();
    const result = await runImport(options, deps);
    expect(idsOf(deps.sent)).toEqual(EVENTS.slice(0, 5).map((e) => e.id));
    expect(result.total).toMatchObject({ lines: 7, published: 5, rejected: 1, skipped: 1, rejectedByReason: { MALFORMED_CSV: 1 } });
    const { subject: _subject, ...withoutSubject } = EVENTS[0] as CloudEventEnvelope;
    expect(JSON.parse(String(deps.sent[0]?.messages[0]?.value))).toEqual(withoutSubject);
  });

  it('fails with what to fix when the file is missing or the CSV header is wrong', async () => {
    const { options } = setup('');
    await expect(runImport({ ...options, file: join(dir, 'nope.ndjson') }, fakeDeps())).rejects.toThrow(/no such file; check the path/);
    const csv = setup('id,source,type\n1,2,3\n', 'bad.csv');
    await expect(runImport(csv.options, fakeDeps())).rejects.toThrow(/missing column\(s\) time, tenantid, entityid, data/);
    const empty = setup('', 'empty.csv');
    await expect(runImport(empty.options, fakeDeps())).rejects.toThrow(/empty; a CSV import needs a header row/);
  });

  it('completes an empty NDJSON file with nothing published', async () => {
    const { options } = setup('');
    const deps = fakeDeps();
    const result = await runImport(options, deps);
    expect(result).toMatchObject({ status: 'complete', total: { lines: 0, published: 0 } });
    expect(deps.sent).toHaveLength(0);
  });
});
