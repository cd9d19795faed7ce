import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { type CloudEventEnvelope } from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import { createBatcher } from './batcher';
import { createCheckpointer, freshCheckpoint, loadCheckpoint } from './checkpoint';
import { ndjsonParser } from './formats';
import { IMPORT_HEADERS, lineOutcome, type LineOutcome } from './line-outcome';
import type { Line } from './lines';
import { messageBytes } from './messages';
import { createPacer, createSendQueue, produceInChunks, withStallNotice } from './produce';
import { createProgressTicker } from './progress-ticker';
import { openRejects } from './rejects';

/**
 * The steps runImport is made of (read → parse/validate → batch → produce → checkpoint,
 * with progress), each on its own; import.spec.ts pins them together.
 */
const EVENT = generateEventList({ seed: 5, tenants: 1, days: 1 }).find((m) => m.kind === 'event')?.event as CloudEventEnvelope;
const lineOf = (number: number, text: string, end = number * 100): Line => ({
  number,
  bytes: Buffer.from(text),
  length: Buffer.byteLength(text),
  end,
});
const parse = (line: Line) =>
  lineOutcome(line, ndjsonParser(1024 * 1024), { file: '/data/export.ndjson', maxBytes: 1024 * 1024, traceparent: () => 'tp' });
const message = (bytes: number): LineOutcome => ({ kind: 'message', message: { key: 'k', value: 'x'.repeat(bytes) } });

describe('lineOutcome (parse and validate)', () => {
  it('turns a valid event into a message keyed tenant/entity, with its trace and where it came from', () => {
    const outcome = parse(lineOf(7, JSON.stringify(EVENT)));
    expect(outcome).toEqual({
      kind: 'message',
      message: {
        key: `${EVENT.tenantid}/${EVENT.entityid}`,
        value: expect.anything(),
        headers: { traceparent: 'tp', [IMPORT_HEADERS.file]: '/data/export.ndjson', [IMPORT_HEADERS.line]: '7' },
      },
    });
  });

  it('skips a blank line', () => {
    expect(parse(lineOf(1, ''))).toEqual({ kind: 'skip' });
  });

  it('rejects an invalid event with the line, the first code and the ids, never the content', () => {
    const { data: _data, ...noData } = EVENT;
    const outcome = parse(lineOf(3, JSON.stringify({ ...noData, data: { secretName: 'Ann Example' }, type: 'phoenix.nope' })));
    expect(outcome).toMatchObject({ kind: 'reject', reason: 'UNKNOWN_EVENT_TYPE' });
    const entry = JSON.parse((outcome as { entry: string }).entry);
    expect(entry).toMatchObject({ line: 3, reason: 'UNKNOWN_EVENT_TYPE', eventId: EVENT.id, tenantId: EVENT.tenantid });
    expect((outcome as { entry: string }).entry).not.toContain('Ann Example');
  });

  it('rejects a line that is not JSON', () => {
    expect(parse(lineOf(2, '{nope'))).toMatchObject({ kind: 'reject', reason: 'MALFORMED_JSON' });
  });
});

describe('createBatcher (batch)', () => {
  it('closes a batch after batchSize lines, whatever they are, with their counts and where the file stands', () => {
    const batcher = createBatcher({ batchSize: 3 });
    expect(batcher.add(lineOf(1, ''), message(10))).toEqual([]);
    expect(batcher.add(lineOf(2, ''), { kind: 'skip' })).toEqual([]);
    const [batch] = batcher.add(lineOf(3, ''), { kind: 'reject', reason: 'MALFORMED_JSON', entry: 'r\n' });
    expect(batch).toMatchObject({
      lastLine: 3,
      end: 300,
      rejects: ['r\n'],
      counts: { lines: 3, published: 1, rejected: 1, skipped: 1, rejectedByReason: { MALFORMED_JSON: 1 } },
    });
    expect(batch?.messages).toHaveLength(1);
    expect(batcher.flush()).toBeUndefined();
  });

  it('closes a batch before a message that would take it over the send bound; the message opens the next', () => {
    const one = message(600);
    const size = messageBytes((one as { message: Message }).message);
    const batcher = createBatcher({ batchSize: 100, maxSendBytes: size + size / 2 });
    expect(batcher.add(lineOf(1, ''), one)).toEqual([]);
    const [closed] = batcher.add(lineOf(2, ''), message(600));
    expect(closed).toMatchObject({ lastLine: 1, counts: { lines: 1, published: 1 } });
    expect(batcher.flush()).toMatchObject({ lastLine: 2, counts: { lines: 1, published: 1 } });
  });

  it('lets a single message larger than the bound through alone (the broker decides)', () => {
    const batcher = createBatcher({ batchSize: 100, maxSendBytes: 10 });
    expect(batcher.add(lineOf(1, ''), message(50))).toEqual([]);
    expect(batcher.flush()?.messages).toHaveLength(1);
  });
});

describe('produce', () => {
  it('keeps one send in flight: the next starts only once the previous is acknowledged', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const queue = createSendQueue(async (n: number) => {
      events.push(`start ${n}`);
      if (n === 1) await new Promise<void>((r) => (release = r));
      events.push(`done ${n}`);
    });
    await queue.dispatch(1);
    const second = queue.dispatch(2);
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual(['start 1']);
    release();
    await second;
    await queue.drain();
    expect(events).toEqual(['start 1', 'done 1', 'start 2', 'done 2']);
  });

  it('fails the next dispatch with a failed send, and starts nothing when told not to', async () => {
    const started: number[] = [];
    const queue = createSendQueue(async (n: number) => {
      started.push(n);
      if (n === 1) throw new Error('broker gone');
    });
    await queue.dispatch(1);
    await expect(queue.dispatch(2)).rejects.toThrow('broker gone');
    const fresh = createSendQueue(async (n: number) => void started.push(n));
    await fresh.dispatch(3, async () => false);
    await fresh.drain();
    expect(started).toEqual([1]);
  });

  it('paces to maxRate lines per second from the start, and not at all without a rate', async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => void sleeps.push(ms);
    const pace = createPacer({ maxRate: 100, startedMs: 0, now: () => 1000, sleep });
    await pace(50); // due at 500 ms: already past
    await pace(300); // due at 3000 ms
    await createPacer({ startedMs: 0, now: () => 0, sleep })(1_000_000);
    expect(sleeps).toEqual([2000]);
  });

  it('sends in chunks, each acknowledged before the next, with a callback per chunk', async () => {
    const log: string[] = [];
    const messages = Array.from({ length: 5 }, (_, i) => ({ key: String(i), value: 'v' }));
    await produceInChunks(
      async (topic, chunk) => void log.push(`${topic}:${chunk.map((m) => m.key).join('')}`),
      't',
      messages,
      2,
      (chunk) => void log.push(`acked ${chunk.length}`),
    );
    expect(log).toEqual(['t:01', 'acked 2', 't:23', 'acked 2', 't:4', 'acked 1']);
  });

  it('says how long it has waited while a send is unacknowledged, and stops once it is', async () => {
    const waited: number[] = [];
    let release: (v: string) => void = () => undefined;
    const sent = withStallNotice(new Promise<string>((r) => (release = r)), (s) => waited.push(s), 10);
    await new Promise((r) => setTimeout(r, 35));
    release('ok');
    expect(await sent).toBe('ok');
    const count = waited.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(count).toBeGreaterThanOrEqual(2);
    expect(waited).toHaveLength(count);
  });
});

describe('createProgressTicker (progress)', () => {
  it('is due at most once per interval', () => {
    let clock = 0;
    const ticker = createProgressTicker({ now: () => clock, startedMs: 0, intervalMs: 100 });
    const due = [50, 100, 150, 199, 200, 450].map((t) => ((clock = t), ticker.due()));
    expect(due).toEqual([false, true, false, false, true, true]);
  });
});

describe('createCheckpointer (checkpoint)', () => {
  it('writes a batch’s rejects, then moves the checkpoint past its last line with the totals, on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phoenix-steps-'));
    const rejectsFile = join(dir, 'rejects.ndjson');
    writeFileSync(rejectsFile, 'stale\n');
    const rejects = await openRejects(rejectsFile, undefined, () => undefined);
    const path = join(dir, 'checkpoint.json');
    const start = freshCheckpoint({ file: '/f', size: 1000, mtimeMs: 1, topic: 't', format: 'ndjson', rejectsFile, at: 0 });
    const checkpointer = createCheckpointer({ path, start, rejects, now: () => 5000 });
    const counts = { lines: 4, published: 3, rejected: 1, rejectedByReason: { MALFORMED_JSON: 1 }, skipped: 0 };
    await checkpointer.advance({ rejects: ['r4\n'], counts, lastLine: 4, end: 400 });
    await checkpointer.advance({ rejects: [], counts: { ...counts, rejected: 0, rejectedByReason: {} }, lastLine: 8, end: 800 });
    await rejects.close();
    expect(readFileSync(rejectsFile, 'utf8')).toBe('r4\n');
    expect(await loadCheckpoint(path)).toMatchObject({
      line: 8,
      offset: 800,
      rejectsBytes: 3,
      complete: false,
      totals: { lines: 8, published: 6, rejected: 1, rejectedByReason: { MALFORMED_JSON: 1 } },
    });
    await checkpointer.complete();
    expect(await loadCheckpoint(path)).toMatchObject({ line: 8, complete: true });
  });
});
