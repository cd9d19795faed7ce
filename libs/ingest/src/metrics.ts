import { createMetricsRegistry } from '@phoenix/service';

/** Everything a message can end up as. consumed = applied + duplicate + superseded + dead_lettered. */
export const OUTCOMES = ['applied', 'duplicate', 'superseded', 'dead_lettered'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The ingest's Prometheus metrics (phoenix_ingest_*), on its own registry. */
export function createMetrics() {
  const { registry, counter, gauge, histogram } = createMetricsRegistry('phoenix_ingest_');
  return {
    registry,
    events: counter(
      'events_total',
      'Kafka offsets committed, each counted once, by outcome, tenant and entity type (tenant/entity "unknown" for unreadable dead letters)',
      ['outcome', 'tenant', 'entity_type', 'topic'],
    ),
    deadLetters: counter('dead_letters_total', 'Dead-lettered messages by reason code', ['reason', 'topic']),
    deadLetterFallbacks: counter(
      'dead_letter_fallbacks_total',
      'Dead letters the dead-letter topic refused for good (error: the broker error), published as a stub (result="stub", original in the dead_letters row) or not at all (result="unpublished", row only)',
      ['error', 'result', 'topic'],
    ),
    redelivered: counter(
      'redelivered_total',
      'Deliveries of offsets this process had already written (a batch written but not committed, fetched again); not counted in events_total again',
      ['topic'],
    ),
    topicMaxMessageBytes: gauge('topic_max_message_bytes', 'max.message.bytes of each topic the ingest reads or writes, read at start-up', [
      'topic',
      'role',
    ]),
    deadLetterTopicTooSmall: gauge(
      'dead_letter_topic_too_small',
      '1 when the dead-letter topic accepts smaller records than this source topic (its dead letters may become stubs), else 0',
      ['topic', 'dead_letter_topic'],
    ),
    batchSeconds: histogram(
      'batch_duration_seconds',
      'Time to process one batch, from decode to committed offsets',
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ['topic'],
    ),
    batchSize: histogram('batch_size', 'Messages per processed batch', [1, 10, 50, 100, 250, 500, 1000, 2500, 5000]),
    writeSeconds: histogram(
      'warehouse_write_duration_seconds',
      'Duration of one warehouse statement, by table and kind',
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ['table', 'kind'],
    ),
    writeFailures: counter('warehouse_failures_total', 'Failed warehouse attempts (each is retried), by error code', ['code']),
    lag: gauge('consumer_lag', 'Messages between the high watermark and the last processed offset, per partition', ['topic', 'partition']),
  };
}

export type IngestMetrics = ReturnType<typeof createMetrics>;
