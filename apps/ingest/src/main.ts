/**
 * Composition root of the ingest app: configuration → logger, metrics, tracing →
 * Kafka and warehouse clients → preflight → writer → one consumer-group lane per
 * configured lane (live, backfill) → HTTP endpoints → graceful shutdown.
 */
import { ConfigError } from '@phoenix/domain';
import { createWarehouse, WAREHOUSE_TABLES } from '@phoenix/bq';
import { loadEnvironment } from './environment';
import { createHttpServer } from './http';
import { createIngestor, type Ingestor } from './ingestor';
import { createKafka } from './kafka';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { createEnricher } from './pipeline/enrichment';
import { createGroupCommit } from './pipeline/group-commit';
import { createWarehouseWriter, DEFAULT_STAGING } from './pipeline/writer';
import { preflight } from './preflight';
import { createTracing } from './tracing';

/** Set by the first SIGTERM/SIGINT: start-up stops at its next step, and its errors no longer matter. */
let stopping = false;

async function main(): Promise<void> {
  const env = loadEnvironment();
  const logger = createLogger({ level: env.ingest.logLevel, name: 'ingest' });

  // Signals are handled from here on, whatever is up yet: each part registers how to
  // close it as it starts, and a shutdown closes them in reverse order within the bound.
  const closers: { name: string; close: () => Promise<unknown> }[] = [];
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: stop fetching, commit what is written, disconnect');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: env.ingest.shutdownTimeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, env.ingest.shutdownTimeoutMs);
    for (const { name, close } of [...closers].reverse()) await close().catch((err: unknown) => logger.warn({ err, name }, 'close failed'));
    clearTimeout(deadline);
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  const closing = (name: string, close: () => Promise<unknown>) => closers.push({ name, close });

  const metrics = createMetrics();
  const tracing = createTracing(env.tracing);
  closing('tracing', () => tracing.shutdown());
  const kafka = createKafka(env.kafka, logger);
  const warehouse = createWarehouse(env.warehouse);
  closing('warehouse', () => warehouse.close());
  const { topics } = env.ingest;

  const report = await preflight({
    kafka,
    warehouse,
    topics: [topics.events, topics.backfill, topics.deadLetter],
    deadLetterTopic: topics.deadLetter,
    requiredTables: WAREHOUSE_TABLES.map((t) => t.name),
    logger,
  });
  if (stopping) return;
  const missingTopics = Object.entries(report.kafka.topics).flatMap(([name, t]) => (t === 'missing' ? [name] : []));
  if (missingTopics.length > 0 || report.warehouse.missingTables.length > 0) {
    logger.fatal(
      { missingTopics, missingTables: report.warehouse.missingTables },
      'cannot start: create the topics and run npm run migrate',
    );
    process.exit(1);
  }

  for (const [topic, t] of Object.entries(report.kafka.topics))
    if (t !== 'missing' && t.maxMessageBytes !== undefined)
      metrics.topicMaxMessageBytes.set({ topic, role: topic === topics.deadLetter ? 'dead_letter' : 'source' }, t.maxMessageBytes);
  for (const topic of [topics.events, topics.backfill])
    metrics.deadLetterTopicTooSmall.set(
      { topic, dead_letter_topic: topics.deadLetter },
      report.kafka.deadLetterTooSmall.some((p) => p.topic === topic) ? 1 : 0,
    );

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  closing('producer', () => producer.disconnect());
  await producer.connect();
  if (stopping) return;
  // One writer (so one statement per table in flight in this process), and one group
  // commit per lane, so backfill chunks never join, and never delay, a live write.
  const writer = createWarehouseWriter({
    warehouse,
    metrics,
    logger,
    enricher: createEnricher({ warehouse }),
    staging: { ...DEFAULT_STAGING, retentionMs: env.ingest.stageRetentionMs },
  });
  const lanes: Record<string, Ingestor> = {};
  for (const lane of env.ingest.lanes) {
    lanes[lane] = createIngestor({
      kafka,
      producer,
      writer: createGroupCommit(writer, { maxMessages: env.ingest.maxWriteMessages }),
      metrics,
      tracing,
      logger,
      config: {
        lane,
        groupId: env.ingest.groups[lane],
        topics: [lane === 'live' ? topics.events : topics.backfill],
        deadLetterTopic: topics.deadLetter,
        maxEventBytes: env.ingest.maxEventBytes,
        maxBatchMessages: env.ingest.maxBatchMessages,
        partitionsConcurrently: env.ingest.partitionsConcurrently,
        fetchMaxBytesPerPartition: env.ingest.fetchMaxBytesPerPartition,
      },
    });
  }
  const http = createHttpServer({ port: env.ingest.httpPort, registry: metrics.registry, lanes, logger });
  closing('http', () => http.close());
  const port = await http.listen();
  // Lanes stop first (registered last): they commit what is written before anything below goes.
  closing('lanes', () => Promise.all(Object.values(lanes).map((lane) => lane.stop())));
  for (const lane of Object.values(lanes)) {
    if (stopping) return;
    await lane.start();
  }
  logger.info({ port, lanes: env.ingest.lanes }, 'ingest started');
}

main().catch((err: unknown) => {
  // A start-up step that failed because the shutdown closed what it used: the shutdown exits.
  if (stopping) return;
  if (err instanceof ConfigError) process.stderr.write(`ingest: ${err.message}\n`);
  else process.stderr.write(`ingest: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
