import type { IHeaders, Message } from 'kafkajs';
import { validateEvent, type CloudEventEnvelope } from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import { WarehouseError } from '@phoenix/bq';
import { DEAD_LETTER_HEADERS, deadLetterHeaders, stubLetter } from '../pipeline/dead-letter';
import {
  deadLetterTime,
  decideRedrive,
  MARK_ATTEMPTS,
  redriveHeaders,
  runRedrive,
  type DeadLetter,
  type RedriveDeps,
  type RedriveOptions,
} from './redrive';

const [event, other] = generateEventList({ seed: 13, tenants: 1, days: 1 })
  .filter((m) => m.kind === 'event')
  .map((m) => m.event as CloudEventEnvelope);

let offset = 0;
/** A dead letter as the ingest files it: the original message plus the dead-letter headers. */
function letter(
  value: string | null,
  options: { limit?: number; receivedAt?: string; sourceTopic?: string; sourceOffset?: string; headers?: IHeaders } = {},
): DeadLetter {
  const result = value === null ? undefined : validateEvent(value, { maxBytes: options.limit ?? 1024 });
  const problems = result && !result.ok ? result.problems : [{ code: 'MALFORMED_JSON' as const, path: '', message: 'no value' }];
  offset += 1;
  return {
    partition: 0,
    offset: String(offset),
    key: Buffer.from('acme/entity'),
    value: value === null ? null : Buffer.from(value),
    headers: deadLetterHeaders({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', ...options.headers }, problems, {
      topic: options.sourceTopic ?? 'phoenix.events',
      partition: 2,
      // Each letter its own source position unless told (copies of one letter share it).
      offset: options.sourceOffset ?? String(1000 + offset),
      receivedAt: options.receivedAt ?? '2026-01-05T09:00:00.000Z',
    }),
    timestamp: String(Date.parse('2026-01-06T00:00:00Z')),
  };
}

const oversized = JSON.stringify({ ...event, padding: 'p'.repeat(2000) });
const malformed = '{"id": "x", "tenantid": ';

describe('redriveHeaders', () => {
  it('keeps the original headers, drops the dead-letter ones and counts the redrive', () => {
    const headers = redriveHeaders(letter(malformed, { headers: { 'x-app': 'huddle' } }).headers);
    expect(headers).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'x-app': 'huddle',
      [DEAD_LETTER_HEADERS.redriveCount]: '1',
    });
  });

  it('adds one to an earlier redrive count', () => {
    expect(redriveHeaders({ [DEAD_LETTER_HEADERS.redriveCount]: Buffer.from('2') })[DEAD_LETTER_HEADERS.redriveCount]).toBe('3');
    expect(redriveHeaders({ [DEAD_LETTER_HEADERS.redriveCount]: 'garbage' })[DEAD_LETTER_HEADERS.redriveCount]).toBe('1');
  });
});

describe('decideRedrive', () => {
  const base = { filter: {}, maxBytes: 1024 };

  it('republishes a letter that now passes, unchanged, to its source topic', () => {
    const l = letter(oversized, { sourceOffset: '41' });
    const decision = decideRedrive(l, { ...base, maxBytes: 4096 });
    expect(decision).toEqual({
      action: 'redrive',
      topic: 'phoenix.events',
      message: { key: l.key, value: l.value, headers: expect.objectContaining({ [DEAD_LETTER_HEADERS.redriveCount]: '1' }) },
      filed: { id: 'phoenix.events/2/41', receivedAtMs: Date.parse('2026-01-05T09:00:00.000Z') },
    });
  });

  it('sends to --to instead of the source topic when given', () => {
    expect(decideRedrive(letter(oversized), { ...base, maxBytes: 4096, to: 'phoenix.backfill' })).toMatchObject({
      topic: 'phoenix.backfill',
    });
  });

  it('reports a letter that still fails under its new reason', () => {
    expect(decideRedrive(letter(oversized), base)).toEqual({ action: 'still-invalid', reason: 'PAYLOAD_TOO_LARGE' });
    expect(decideRedrive(letter(malformed), base)).toEqual({ action: 'still-invalid', reason: 'MALFORMED_JSON' });
    expect(decideRedrive(letter(null), base)).toEqual({ action: 'still-invalid', reason: 'MALFORMED_JSON' });
  });

  it('needs a destination: --to or the source-topic header', () => {
    const l = letter(JSON.stringify(other));
    delete l.headers[DEAD_LETTER_HEADERS.sourceTopic];
    expect(decideRedrive(l, base)).toEqual({ action: 'no-destination' });
  });

  it('filters by reason and by the time the ingest received the letter, [since, until)', () => {
    const l = letter(oversized, { receivedAt: '2026-01-05T09:00:00.000Z' });
    const at = Date.parse('2026-01-05T09:00:00.000Z');
    const decide = (filter: RedriveOptions['filter']) => decideRedrive(l, { ...base, maxBytes: 4096, filter }).action;
    expect(decide({ reasons: ['MISSING_TENANT'] })).toBe('skip');
    expect(decide({ reasons: ['MISSING_TENANT', 'PAYLOAD_TOO_LARGE'] })).toBe('redrive');
    expect(decide({ sinceMs: at })).toBe('redrive');
    expect(decide({ sinceMs: at + 1 })).toBe('skip');
    expect(decide({ untilMs: at })).toBe('skip');
    expect(decide({ untilMs: at + 1 })).toBe('redrive');
  });

  it('falls back to the Kafka timestamp when the received-at header is missing', () => {
    const l = letter(malformed);
    delete l.headers[DEAD_LETTER_HEADERS.receivedAt];
    expect(deadLetterTime(l)).toBe(Date.parse('2026-01-06T00:00:00Z'));
  });
});

describe('runRedrive', () => {
  function fakeDeps(letters: DeadLetter[][], existing = ['phoenix.events', 'phoenix.backfill']) {
    const sent: { topic: string; messages: Message[] }[] = [];
    const deps: RedriveDeps = {
      async readToEnd(_topic, onBatch) {
        for (const batch of letters) await onBatch(batch);
      },
      async send(topic, messages) {
        sent.push({ topic, messages });
      },
      topicExists: async (topic) => existing.includes(topic),
    };
    return { deps, sent };
  }
  const options: RedriveOptions = { deadLetterTopic: 'phoenix.deadletter', filter: {}, maxBytes: 4096, dryRun: false };

  it('republishes what now passes, leaves what fails, and counts both', async () => {
    const { deps, sent } = fakeDeps([[letter(oversized), letter(malformed)], [letter(JSON.stringify({ ...other, tenantid: undefined }))]]);
    const summary = await runRedrive(options, deps);
    expect(summary).toMatchObject({
      status: 'complete',
      examined: 3,
      matched: 3,
      redriven: 1,
      redrivenByTopic: { 'phoenix.events': 1 },
      stillInvalid: 2,
      stillInvalidByReason: { MALFORMED_JSON: 1, MISSING_TENANT: 1 },
      noDestination: 0,
    });
    expect(sent).toHaveLength(1);
    expect(String(sent[0]?.messages[0]?.value)).toBe(oversized);
  });

  it('counts only what the filter matched', async () => {
    const { deps, sent } = fakeDeps([[letter(oversized), letter(malformed)]]);
    const summary = await runRedrive({ ...options, filter: { reasons: ['MALFORMED_JSON'] } }, deps);
    expect(summary).toMatchObject({ examined: 2, matched: 1, redriven: 0, stillInvalid: 1 });
    expect(sent).toHaveLength(0);
  });

  it('publishes nothing on a dry run but says what would go', async () => {
    const { deps, sent } = fakeDeps([[letter(oversized), letter(oversized), letter(malformed)]]);
    const summary = await runRedrive({ ...options, dryRun: true }, deps);
    expect(summary).toMatchObject({ dryRun: true, redriven: 2, stillInvalid: 1 });
    expect(sent).toHaveLength(0);
  });

  it('leaves letters whose destination topic does not exist, and names it', async () => {
    const { deps, sent } = fakeDeps([[letter(oversized, { sourceTopic: 'gone.topic' }), letter(oversized)]]);
    const summary = await runRedrive(options, deps);
    expect(summary).toMatchObject({ redriven: 1, missingTopics: { 'gone.topic': 1 } });
    expect(sent.map((s) => s.topic)).toEqual(['phoenix.events']);
  });

  it('stops examining when interrupted, and finishes the letters already in hand', async () => {
    const controller = new AbortController();
    const { deps, sent } = fakeDeps([[letter(oversized)], [letter(oversized)]]);
    const send = deps.send;
    deps.send = async (topic, messages) => {
      await send(topic, messages);
      controller.abort();
    };
    const summary = await runRedrive({ ...options, signal: controller.signal }, deps);
    expect(summary).toMatchObject({ status: 'interrupted', examined: 1, redriven: 1 });
    expect(sent).toHaveLength(1);
  });

  it('marks each re-driven letter in the warehouse by where it was first read, after its republish', async () => {
    const { deps, sent } = fakeDeps([
      [letter(oversized, { sourceOffset: '41' }), letter(malformed), letter(oversized, { sourceOffset: '9' })],
    ]);
    const marked: { ids: readonly string[]; received: number[]; at: Date; sentBefore: number }[] = [];
    deps.markRedriven = async (letters, at) => {
      marked.push({ ids: letters.map((l) => l.id), received: letters.map((l) => l.receivedAtMs), at, sentBefore: sent.length });
      return letters.length - 1; // one of them has no row
    };
    deps.now = () => Date.parse('2026-11-26T03:00:00Z');
    const summary = await runRedrive(options, deps);
    const received = Date.parse('2026-01-05T09:00:00.000Z');
    expect(marked).toEqual([
      {
        ids: ['phoenix.events/2/41', 'phoenix.events/2/9'],
        received: [received, received],
        at: new Date('2026-11-26T03:00:00Z'),
        sentBefore: 1,
      },
    ]);
    expect(summary).toMatchObject({ redriven: 2, marked: 1, notMarked: 1 });
    expect(summary.markError).toBeUndefined();
  });

  it('marks nothing on a dry run', async () => {
    const { deps } = fakeDeps([[letter(oversized)]]);
    const markRedriven = jest.fn(async () => 0);
    deps.markRedriven = markRedriven;
    await runRedrive({ ...options, dryRun: true }, deps);
    expect(markRedriven).not.toHaveBeenCalled();
  });

  it('counts letters it could not mark, keeps going, and keeps the first error', async () => {
    const { deps, sent } = fakeDeps([[letter(oversized)], [letter(oversized, { sourceOffset: '8' })]]);
    deps.markRedriven = async () => {
      throw new Error('Not found: Dataset phoenix');
    };
    const summary = await runRedrive(options, deps);
    expect(sent).toHaveLength(2);
    expect(summary).toMatchObject({ redriven: 2, marked: 0, notMarked: 2, markError: 'Not found: Dataset phoenix' });
  });

  it('sends in chunks of at most the batch size', async () => {
    const { deps, sent } = fakeDeps([Array.from({ length: 7 }, () => letter(oversized))]);
    await runRedrive({ ...options, batchSize: 3 }, deps);
    expect(sent.map((s) => s.messages.length)).toEqual([3, 3, 1]);
  });

  it('tries the redriven_at update again when it lost to a concurrent update (the ingest MERGE), with growing waits', async () => {
    const { deps } = fakeDeps([[letter(oversized)]]);
    const waits: number[] = [];
    deps.sleep = async (ms) => void waits.push(ms);
    let calls = 0;
    deps.markRedriven = async (letters) => {
      calls += 1;
      if (calls <= 2)
        throw new WarehouseError('TRANSIENT', 'Could not serialize access to table p:d.dead_letters due to concurrent update', true);
      return letters.length;
    };
    const summary = await runRedrive(options, deps);
    expect(summary).toMatchObject({ redriven: 1, marked: 1, notMarked: 0, markRetries: 2 });
    expect(summary.markError).toBeUndefined();
    expect(waits).toHaveLength(2);
    expect(waits[1]).toBeGreaterThan(0);
  });

  it('gives the update up after MARK_ATTEMPTS concurrent-update failures, and never retries a lasting error', async () => {
    const contention = fakeDeps([[letter(oversized)]]);
    contention.deps.sleep = async () => undefined;
    let calls = 0;
    contention.deps.markRedriven = async () => {
      calls += 1;
      throw new WarehouseError('TRANSIENT', 'concurrent update', true);
    };
    expect(await runRedrive(options, contention.deps)).toMatchObject({ marked: 0, notMarked: 1, markRetries: MARK_ATTEMPTS - 1 });
    expect(calls).toBe(MARK_ATTEMPTS);

    const lasting = fakeDeps([[letter(oversized)]]);
    calls = 0;
    lasting.deps.markRedriven = async () => {
      calls += 1;
      throw new WarehouseError('NOT_FOUND', 'Not found: Table dead_letters', false);
    };
    expect(await runRedrive(options, lasting.deps)).toMatchObject({
      notMarked: 1,
      markRetries: 0,
      markError: 'Not found: Table dead_letters',
    });
    expect(calls).toBe(1);
  });

  /** A stub as the ingest publishes it when the dead-letter topic refused the full letter. */
  function stubOf(l: DeadLetter): DeadLetter {
    const source = {
      topic: 'phoenix.events',
      partition: 2,
      offset: String(l.headers[DEAD_LETTER_HEADERS.sourceOffset]),
      receivedAt: '2026-01-05T09:00:00.000Z',
    };
    const validation = validateEvent(l.value ?? '', { maxBytes: 1024 });
    const problems = validation.ok ? [] : validation.problems;
    const stub = stubLetter({ message: { ...source, key: l.key, value: l.value, headers: { traceparent: 'tp' } }, problems });
    return { ...l, key: stub.key as Buffer, value: null, headers: stub.headers as IHeaders };
  }

  it('re-drives a stub with the original key, value and headers from its dead_letters row', async () => {
    const original = letter(oversized, { sourceOffset: '77' });
    const { deps, sent } = fakeDeps([[stubOf(original)]]);
    const asked: string[] = [];
    deps.fetchOriginals = async (letters) => {
      asked.push(...letters.map((l) => l.id));
      return new Map([
        ['phoenix.events/2/77', { key: Buffer.from('acme/entity'), value: Buffer.from(oversized), headers: { traceparent: 'tp' } }],
      ]);
    };
    const summary = await runRedrive(options, deps);
    expect(asked).toEqual(['phoenix.events/2/77']);
    expect(summary).toMatchObject({ redriven: 1, stubsResolved: 1, stubsMissing: 0 });
    const [message] = sent[0]?.messages ?? [];
    expect(String(message?.value)).toBe(oversized);
    expect(String(message?.key)).toBe('acme/entity');
    expect(String(message?.headers?.['traceparent'])).toBe('tp');
    expect(message?.headers?.[DEAD_LETTER_HEADERS.payload]).toBeUndefined();
  });

  it('leaves a stub whose row is missing or holds other bytes (digest mismatch)', async () => {
    const { deps, sent } = fakeDeps([
      [stubOf(letter(oversized, { sourceOffset: '78' })), stubOf(letter(oversized, { sourceOffset: '79' }))],
    ]);
    deps.fetchOriginals = async () =>
      new Map([['phoenix.events/2/79', { key: null, value: Buffer.from(oversized.replace('p', 'q')), headers: {} }]]);
    const summary = await runRedrive(options, deps);
    expect(summary).toMatchObject({ redriven: 0, stubsResolved: 0, stubsMissing: 2 });
    expect(sent).toHaveLength(0);
  });

  it('re-drives copies of one letter (same source position, published again after a crash) once', async () => {
    const { deps, sent } = fakeDeps([
      [letter(oversized, { sourceOffset: '5' }), letter(oversized, { sourceOffset: '5' })],
      [letter(oversized, { sourceOffset: '5' })],
    ]);
    const summary = await runRedrive(options, deps);
    expect(summary).toMatchObject({ examined: 3, redriven: 1, copiesSkipped: 2 });
    expect(sent.flatMap((s) => s.messages)).toHaveLength(1);
  });
});
