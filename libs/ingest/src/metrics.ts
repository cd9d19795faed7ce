import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Everything a message can end up as. consumed = applied + duplicate + superseded + dead_lettered. */
export const OUTCOMES = ['applied', 'duplicate', 'superseded', 'dead_lettered'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * The ingest's Prometheus metrics, on its own registry (no global state, so tests and
 * several instances in one process do not collide).
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'phoenix_ingest_process_' });
  return {
    registry,
    events: new Counter({
      name: 'phoenix_ingest_events_total',
      help: 'Kafka offsets committed, each counted once, by outcome, tenant and entity type (tenant/entity "unknown" for unreadable dead letters)',
      labelNames: ['outcome', 'tenant', 'entity_type', 'topic'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'phoenix_ingest_dead_letters_total',
      help: 'Dead-lettered messages by reason code',
      labelNames: ['reason', 'topic'] as const,
      registers: [registry],
    }),
    deadLetterFallbacks: new Counter({
      name: 'phoenix_ingest_dead_letter_fallbacks_total',
      help: 'Dead letters the dead-letter topic refused for good (error: the broker error), published as a stub (result="stub", original in the dead_letters row) or not at all (result="unpublished", row only)',
      labelNames: ['error', 'result', 'topic'] as const,
      registers: [registry],
    }),
    redelivered: new Counter({
      name: 'phoenix_ingest_redelivered_total',
      help: 'Deliveries of offsets this process had already written (a batch written but not committed, fetched again); not counted in events_total again',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    topicMaxMessageBytes: new Gauge({
      name: 'phoenix_ingest_topic_max_message_bytes',
      help: 'max.message.bytes of each topic the ingest reads or writes, read at start-up',
      labelNames: ['topic', 'role'] as const,
      registers: [registry],
    }),
    deadLetterTopicTooSmall: new Gauge({
      name: 'phoenix_ingest_dead_letter_topic_too_small',
      help: '1 when the dead-letter topic accepts smaller records than this source topic (its dead letters may become stubs), else 0',
      labelNames: ['topic', 'dead_letter_topic'] as const,
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'phoenix_ingest_batch_duration_seconds',
      help: 'Time to process one batch, from decode to committed offsets',
      labelNames: ['topic'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'phoenix_ingest_batch_size',
      help: 'Messages per processed batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry],
    }),
    writeSeconds: new Histogram({
      name: 'phoenix_ingest_warehouse_write_duration_seconds',
      help: 'Duration of one warehouse statement, by table and kind',
      labelNames: ['table', 'kind'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    writeFailures: new Counter({
      name: 'phoenix_ingest_warehouse_failures_total',
      help: 'Failed warehouse attempts (each is retried), by error code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'phoenix_ingest_consumer_lag',
      help: 'Messages between the high watermark and the last processed offset, per partition',
      labelNames: ['topic', 'partition'] as const,
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createMetrics>;
