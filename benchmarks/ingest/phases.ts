import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { type QueryOptions, type Row, type Statement, type Warehouse } from '@phoenix/bq';
import type { DomainEvent } from '@phoenix/domain';
import {
  createIngestor,
  laneConsumerSettings,
  type PartitionTally,
  createMetrics,
  classify,
  type CurrentVersion,
  type EventOutcome,
  decode,
  type ConsumedMessage,
  type Decoded,
  createEnricher,
  createGroupCommit,
  appliedEvents,
  buildRows,
  createWarehouseWriter,
  type WarehouseWriter,
  createTracing,
} from '@phoenix/ingest';
import { createStageTimer, type Measurement, type Meter } from './measure';

/**
 * The three measured phases. (a) and (b) share one consumer loop, configured like the
 * ingest lane's consumer, so the difference between them is exactly the pipeline's CPU
 * work; (c) is the real lane (createIngestor + the real writer) against the emulator.
 * Every phase starts its clock once its consumer has joined the group (kafkajs
 * `consumer.run()` and the lane's `start()` resolve after join and sync), so group
 * coordination is outside all three, and stops it when the last event is processed.
 */

interface ConsumeTarget {
  kafka: Kafka;
  topic: string;
  groupId: string;
  expected: number;
  meter: Meter;
  timeoutMs: number;
  /** The lane's fetch size (INGEST_FETCH_MAX_BYTES_PER_PARTITION): every phase fetches as the lane does. */
  fetchMaxBytesPerPartition: number;
}

/** Consumes the whole topic with a fresh group, calling `handle` per batch; measures from join to the last message. */
async function consumeAll(target: ConsumeTarget, handle: (payload: EachBatchPayload) => Promise<void> | void): Promise<Measurement> {
  const { kafka, topic, groupId, expected, meter } = target;
  const consumer = kafka.consumer({ groupId, ...laneConsumerSettings(target) });
  let seen = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async (payload) => {
        await handle(payload);
        seen += payload.batch.messages.length;
        if (seen >= expected) finish();
      },
    });
    const start = meter.snapshot();
    const timedOut = sleep(target.timeoutMs, 'timeout' as const);
    if ((await Promise.race([done, timedOut])) === 'timeout') {
      throw new Error(`group ${groupId} consumed ${seen} of ${expected} messages in ${target.timeoutMs / 1000} s`);
    }
    return meter.measure(start, meter.snapshot(), seen);
  } finally {
    await consumer.disconnect();
  }
}

/**
 * (a) The floor: what kafkajs costs to fetch and hand over every message, plus the one
 * thing any consumer of JSON events must do, `JSON.parse` of the value.
 */
export async function measureRawConsumption(target: ConsumeTarget): Promise<Measurement & { parsedObjects: number }> {
  let parsedObjects = 0;
  const measurement = await consumeAll(target, ({ batch }) => {
    for (const message of batch.messages) {
      // Counting keys keeps the parsed object observable, so the parse cannot be elided.
      if (message.value) parsedObjects += Object.keys(JSON.parse(message.value.toString('utf8')) as object).length > 0 ? 1 : 0;
    }
  });
  return { ...measurement, parsedObjects };
}

const PIPELINE_STAGES = ['decode', 'classify', 'enrich', 'rows'] as const;
type PipelineStage = (typeof PIPELINE_STAGES)[number];

export interface PipelineResult extends Measurement {
  /** Wall milliseconds per stage; the rest of the phase is kafkajs and the consumer loop. */
  stagesMs: Record<PipelineStage, number>;
  rowsBuilt: number;
  outcomes: Record<EventOutcome | 'dead_lettered', number>;
  /** Applied bookings and visits, and how many of them got complete enrichment columns. */
  enrichable: number;
  enriched: number;
  /** Must be 0: the measured loop is meant to hit the warmed cache only. */
  warehouseQueries: number;
}

const NOTHING_RECORDED: ReadonlySet<string> = new Set();
const NO_CURRENT_ROWS: ReadonlyMap<string, CurrentVersion> = new Map();
type EventItem = Extract<Decoded, { kind: 'event' }>;

/**
 * (b) The same consumer loop plus the ingest's CPU work per message, without the
 * warehouse: the lane's chunking and ConsumedMessage mapping, `decode` (UTF-8, JSON,
 * validation), `classify` against an empty warehouse, the enricher's `prepare` and
 * `columnsFor` on a warm cache, and the rows the writer builds (history and current
 * version rows with enrichment columns, events_raw rows) through the writer's own
 * `buildRows`. Only the warehouse calls are left out.
 */
export async function measurePipelineCpu(
  target: ConsumeTarget,
  deps: { warehouse: Warehouse; referenceEvents: readonly DomainEvent[]; maxEventBytes: number; maxBatchMessages: number },
): Promise<PipelineResult> {
  const work = await createPipelineWork(deps);
  const measurement = await consumeAll(target, ({ batch }) => work.processBatch(batch.topic, batch.partition, batch.messages));
  return { ...measurement, ...work.results() };
}

/**
 * (b)'s work per Kafka batch, apart from the consumer loop, so it can also be run on
 * in-memory messages when iterating on the pipeline's CPU cost.
 */
export async function createPipelineWork(deps: {
  warehouse: Warehouse;
  referenceEvents: readonly DomainEvent[];
  maxEventBytes: number;
  maxBatchMessages: number;
}) {
  const counted = countingWarehouse(deps.warehouse);
  const enricher = createEnricher({ warehouse: counted.warehouse });
  // Warm-up: reference events go into the cache by write-through (no query), as they
  // would in a running ingest that has seen its reference data.
  await enricher.prepare(deps.referenceEvents);
  const queriesBefore = counted.queries();

  const stages = createStageTimer(PIPELINE_STAGES);
  const tally = { rows: 0, enrichable: 0, enriched: 0 };
  const outcomes: PipelineResult['outcomes'] = { applied: 0, duplicate: 0, superseded: 0, dead_lettered: 0 };

  // The writer's steps (writer.ts `write`) minus its reads and statements.
  async function processChunk(chunk: ConsumedMessage[]): Promise<void> {
    const decoded = stages.time('decode', () => chunk.map((m) => decode(m, { maxBytes: deps.maxEventBytes })));

    const { items, result, applied } = stages.time('classify', () => {
      const items = decoded.filter((d): d is EventItem => d.kind === 'event');
      const events = items.map((i) => i.event);
      const result = classify(events, NOTHING_RECORDED, NO_CURRENT_ROWS);
      return { items, result, applied: appliedEvents(events, result) };
    });
    outcomes.dead_lettered += decoded.length - items.length;
    for (const outcome of result) outcomes[outcome]++;

    const enrichment = await stages.timeAsync('enrich', () => enricher.prepare(applied));

    // As in the writer, columnsFor runs while the current rows are built, so its time counts as `rows`.
    const columnsFor = (event: DomainEvent) => {
      const columns = enrichment.columnsFor(event);
      if ('enriched' in columns) {
        tally.enrichable++;
        if (columns['enriched'] === true) tally.enriched++;
      }
      return columns;
    };
    stages.time('rows', () => {
      const planned = buildRows(items, result, columnsFor, new Date().toISOString());
      // Each new event has a history row and a raw row; applied ones a current row too.
      for (let i = 0; i < planned.toCurrent.length; i++) tally.rows += planned.toCurrent[i] ? 3 : 2;
    });
  }

  return {
    async processBatch(topic: string, partition: number, messages: KafkaMessage[]): Promise<void> {
      // As the lane does: one receive time per batch, chunks of at most maxBatchMessages.
      const receivedAt = new Date().toISOString();
      for (let start = 0; start < messages.length; start += deps.maxBatchMessages) {
        // The same mapping as the lane's eachBatch (ingestor.ts).
        const chunk = messages.slice(start, start + deps.maxBatchMessages).map((m: KafkaMessage): ConsumedMessage => ({
          topic,
          partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          headers: m.headers,
          receivedAt,
        }));
        await processChunk(chunk);
      }
    },
    results: () => ({
      stagesMs: stages.totals(),
      rowsBuilt: tally.rows,
      outcomes,
      enrichable: tally.enrichable,
      enriched: tally.enriched,
      warehouseQueries: counted.queries() - queriesBefore,
    }),
  };
}

/** A warehouse handle that counts queries, to prove the measured loop never left the cache. */
function countingWarehouse(inner: Warehouse): { warehouse: Warehouse; queries: () => number } {
  let queries = 0;
  const warehouse: Warehouse = {
    ...inner,
    query: <T extends Row = Row>(statement: Statement, options?: QueryOptions) => {
      queries++;
      return inner.query<T>(statement, options);
    },
  };
  return { warehouse, queries: () => queries };
}

export interface StatementTime {
  statements: number;
  seconds: number;
}

export interface EndToEndResult extends Measurement {
  expected: number;
  /** True when the time budget ran out before every event was consumed; the rate is then over what was. */
  partial: boolean;
  reconciliation: PartitionTally & { balanced: boolean };
  /** Wall seconds inside writer.write (all warehouse work and the writer's own CPU). */
  writerSeconds: number;
  writerCalls: number;
  /** Each writer call in order: its events and wall seconds (the first carries the cold start). */
  writes: { events: number; seconds: number }[];
  /**
   * Failed warehouse attempts, each retried by the lane after a back-off. Non-zero means
   * the run was disturbed (the emulator is shared; someone may have restarted it).
   */
  warehouseFailures: number;
  /** Warehouse statements by what they do (from the writer's histogram and a timing wrapper for reads). */
  statements: Record<string, StatementTime>;
  /** Consumed count every few seconds: shows whether the rate falls as the tables grow. */
  progress: { seconds: number; consumed: number }[];
}

/**
 * (c) End to end: the real consumer-group lane with the real writer and enricher,
 * writing to a fresh migrated dataset on the emulator, until its reconciliation shows
 * every event consumed (or the time budget is spent).
 */
export async function measureEndToEnd(
  target: ConsumeTarget,
  deps: {
    warehouse: Warehouse;
    logger: Logger;
    deadLetterTopic: string;
    maxEventBytes: number;
    maxBatchMessages: number;
    partitionsConcurrently: number;
    maxWriteMessages: number;
    onProgress: (consumed: number, seconds: number) => void;
  },
): Promise<EndToEndResult> {
  const { kafka, meter, expected } = target;
  const metrics = createMetrics();
  const reads = timedReads(deps.warehouse);
  const inner = createWarehouseWriter({
    warehouse: reads.warehouse,
    metrics,
    logger: deps.logger,
    enricher: createEnricher({ warehouse: reads.warehouse }),
  });
  let writerMs = 0;
  let writerCalls = 0;
  let writeStartedAt: number | null = null;
  const writes: EndToEndResult['writes'] = [];
  // Wrapping the writer only adds a clock read around each call; the lane is unchanged.
  const timedWriter: WarehouseWriter = {
    write: async (batch) => {
      const startedAt = performance.now();
      writeStartedAt = startedAt;
      writerCalls++;
      try {
        return await inner.write(batch);
      } finally {
        writerMs += performance.now() - startedAt;
        writes.push({ events: batch.length, seconds: Math.round(performance.now() - startedAt) / 1000 });
        writeStartedAt = null;
      }
    },
  };
  // Writer time up to now, counting a write still in flight (a run cut short by its budget).
  const writerSecondsNow = () => (writerMs + (writeStartedAt === null ? 0 : performance.now() - writeStartedAt)) / 1000;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const lane = createIngestor({
    kafka,
    producer,
    // As main.ts composes it: the lane's group commit in front of the writer.
    writer: createGroupCommit(timedWriter, { maxMessages: deps.maxWriteMessages }),
    metrics,
    tracing: createTracing({ serviceName: 'phoenix-ingest-bench' }),
    logger: deps.logger,
    config: {
      lane: 'bench',
      groupId: target.groupId,
      topics: [target.topic],
      deadLetterTopic: deps.deadLetterTopic,
      maxEventBytes: deps.maxEventBytes,
      maxBatchMessages: deps.maxBatchMessages,
      partitionsConcurrently: deps.partitionsConcurrently,
      fetchMaxBytesPerPartition: target.fetchMaxBytesPerPartition,
    },
  });

  const consumed = () => Object.values(lane.reconciliation()).reduce((n, t) => n + t.consumed, 0);
  try {
    await lane.start();
    const start = meter.snapshot();
    const progress: EndToEndResult['progress'] = [];
    let nextReport = 5;
    for (;;) {
      const n = consumed();
      const seconds = (performance.now() - start.wallMs) / 1000;
      if (n >= expected || seconds * 1000 >= target.timeoutMs) break;
      if (seconds >= nextReport) {
        progress.push({ seconds: Math.round(seconds), consumed: n });
        deps.onProgress(n, seconds);
        nextReport += 5;
      }
      // Polling the lane's own reconciliation; 20 ms is noise next to a multi-second run.
      await sleep(20);
    }
    const end = meter.snapshot();
    const total = consumed();
    const writerSeconds = writerSecondsNow();
    const statements = { ...(await writeTimes(metrics)), ...reads.times() };
    progress.push({ seconds: Math.round((end.wallMs - start.wallMs) / 100) / 10, consumed: total });
    return {
      ...meter.measure(start, end, total),
      expected,
      partial: total < expected,
      reconciliation: sumTallies(Object.values(lane.reconciliation())),
      writerSeconds: Math.round(writerSeconds * 1000) / 1000,
      writerCalls,
      writes,
      warehouseFailures: (await metrics.writeFailures.get()).values.reduce((n, v) => n + v.value, 0),
      statements,
      progress,
    };
  } finally {
    await lane.stop();
    await producer.disconnect();
  }
}

function sumTallies(tallies: (PartitionTally & { balanced: boolean })[]): PartitionTally & { balanced: boolean } {
  const sum: PartitionTally = { consumed: 0, applied: 0, duplicate: 0, superseded: 0, dead_lettered: 0, redelivered: 0 };
  for (const t of tallies) for (const k of Object.keys(sum) as (keyof PartitionTally)[]) sum[k] += t[k];
  return { ...sum, balanced: tallies.every((t) => t.balanced) };
}

/** Statement time by group, from the writer's own write-duration histogram (sum and count by table and kind). */
async function writeTimes(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, StatementTime>> {
  const out: Record<string, StatementTime> = {};
  for (const v of (await metrics.writeSeconds.get()).values) {
    const table = String(v.labels['table']);
    // Reads are timed by timedReads, statement by statement.
    if (v.labels['kind'] === 'read') continue;
    const group =
      v.labels['kind'] === 'append'
        ? `APPEND ${table} (Storage Write API)`
        : v.labels['kind'] === 'housekeeping'
          ? `DELETE ${table} (housekeeping)`
          : v.labels['kind'] === 'enrich'
            ? 'MERGE enrichment (booking tables)'
            : table.endsWith('_history')
              ? 'MERGE <entity>_history'
              : table.endsWith('_current')
                ? 'MERGE <entity>_current'
                : `MERGE ${table}`;
    const entry = (out[group] ??= { statements: 0, seconds: 0 });
    if (v.metricName?.endsWith('_sum')) entry.seconds += v.value;
    else if (v.metricName?.endsWith('_count')) entry.statements += v.value;
  }
  return out;
}

/** Times every read the writer and enricher make, grouped by what they read. */
function timedReads(inner: Warehouse): { warehouse: Warehouse; times: () => Record<string, StatementTime> } {
  const times: Record<string, StatementTime> = {};
  const warehouse: Warehouse = {
    ...inner,
    query: async <T extends Row = Row>(statement: Statement, options?: QueryOptions) => {
      const t0 = performance.now();
      try {
        return await inner.query<T>(statement, options);
      } finally {
        const entry = (times[readGroup(statement)] ??= { statements: 0, seconds: 0 });
        entry.statements++;
        entry.seconds += (performance.now() - t0) / 1000;
      }
    },
  };
  return { warehouse, times: () => times };
}

function readGroup(statement: Statement): string {
  const text = statement.sql.text;
  if (/^SELECT \*/.test(text)) return 'SELECT reference rows (enrichment misses)';
  if (text.includes("'recorded' AS kind")) return 'SELECT recorded ids + current versions (one UNION ALL)';
  if (/\.events_raw`/.test(text)) return 'SELECT recorded event ids (events_raw)';
  return 'SELECT current versions (<entity>_current)';
}
