import type { Kafka } from 'kafkajs';
import { createIngestor, type IngestorConfig, createMetrics, type WarehouseWriter, createTracing, type Tracing } from '@phoenix/ingest';
import { testLogger, uniqueName } from './harness';

/**
 * A live lane for tests on the given topics, in a new consumer group: the real ingestor
 * with its own producer (connected by `start`, disconnected by `stop`). `config`
 * overrides the lane's settings.
 */
export function testLane(deps: {
  kafka: Kafka;
  writer: Pick<WarehouseWriter, 'write'>;
  topics: { events: string; deadletter: string };
  maxEventBytes: number;
  metrics?: ReturnType<typeof createMetrics>;
  tracing?: Tracing;
  logLevel?: string;
  config?: Partial<IngestorConfig>;
}) {
  const metrics = deps.metrics ?? createMetrics();
  const groupId = deps.config?.groupId ?? uniqueName('it-lane');
  const { logger, lines } = testLogger(deps.logLevel ?? 'warn');
  const producer = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const ingestor = createIngestor({
    kafka: deps.kafka,
    producer,
    writer: deps.writer,
    metrics,
    tracing: deps.tracing ?? createTracing({ serviceName: 'it' }),
    logger,
    config: {
      lane: 'live',
      groupId,
      topics: [deps.topics.events],
      deadLetterTopic: deps.topics.deadletter,
      maxEventBytes: deps.maxEventBytes,
      maxBatchMessages: 100,
      ...deps.config,
    },
  });
  return {
    ingestor,
    groupId,
    producer,
    metrics,
    lines,
    async start() {
      await producer.connect();
      await ingestor.start();
    },
    async stop() {
      await ingestor.stop();
      await producer.disconnect();
    },
  };
}
