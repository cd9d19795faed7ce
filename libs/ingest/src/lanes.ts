import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { WAREHOUSE_TABLES, type Warehouse } from '@phoenix/bq';
import type { IngestEnvironment } from './config';
import { createIngestor, type Ingestor } from './ingestor';
import type { IngestMetrics } from './metrics';
import { createEnricher } from './pipeline/enrichment';
import { createGroupCommit } from './pipeline/group-commit';
import { createWarehouseWriter, DEFAULT_STAGING } from './pipeline/writer';
import { preflight } from './preflight';
import type { Tracing } from './tracing';

type IngestConfig = IngestEnvironment['ingest'];

/**
 * The start-up check of the ingest: every topic and table is there. Publishes the topics'
 * size limits as gauges (and whether the dead-letter topic is too small for a source);
 * answers what is missing, empty lists when the ingest can start.
 */
export async function checkPrerequisites(deps: {
  kafka: Kafka;
  warehouse: Warehouse;
  metrics: IngestMetrics;
  logger: Logger;
  topics: IngestConfig['topics'];
}): Promise<{ missingTopics: string[]; missingTables: string[] }> {
  const { topics, metrics } = deps;
  const report = await preflight({
    kafka: deps.kafka,
    warehouse: deps.warehouse,
    topics: [topics.events, topics.backfill, topics.deadLetter],
    deadLetterTopic: topics.deadLetter,
    requiredTables: WAREHOUSE_TABLES.map((t) => t.name),
    logger: deps.logger,
  });
  for (const [topic, t] of Object.entries(report.kafka.topics))
    if (t !== 'missing' && t.maxMessageBytes !== undefined)
      metrics.topicMaxMessageBytes.set({ topic, role: topic === topics.deadLetter ? 'dead_letter' : 'source' }, t.maxMessageBytes);
  for (const topic of [topics.events, topics.backfill])
    metrics.deadLetterTopicTooSmall.set(
      { topic, dead_letter_topic: topics.deadLetter },
      report.kafka.deadLetterTooSmall.some((p) => p.topic === topic) ? 1 : 0,
    );
  return {
    missingTopics: Object.entries(report.kafka.topics).flatMap(([name, t]) => (t === 'missing' ? [name] : [])),
    missingTables: report.warehouse.missingTables,
  };
}

/**
 * The configured lanes (live, backfill), each a consumer group of its own. One writer,
 * so one statement per table in flight in this process, and one group commit per lane,
 * so backfill chunks never join, and never delay, a live write.
 */
export function createLanes(deps: {
  kafka: Kafka;
  producer: Producer;
  warehouse: Warehouse;
  metrics: IngestMetrics;
  tracing: Tracing;
  logger: Logger;
  config: IngestConfig;
}): Record<string, Ingestor> {
  const { config } = deps;
  const writer = createWarehouseWriter({
    warehouse: deps.warehouse,
    metrics: deps.metrics,
    logger: deps.logger,
    enricher: createEnricher({ warehouse: deps.warehouse }),
    staging: { ...DEFAULT_STAGING, retentionMs: config.stageRetentionMs },
  });
  const lanes: Record<string, Ingestor> = {};
  for (const lane of config.lanes) {
    lanes[lane] = createIngestor({
      kafka: deps.kafka,
      producer: deps.producer,
      writer: createGroupCommit(writer, { maxMessages: config.maxWriteMessages }),
      metrics: deps.metrics,
      tracing: deps.tracing,
      logger: deps.logger,
      config: {
        lane,
        groupId: config.groups[lane],
        topics: [lane === 'live' ? config.topics.events : config.topics.backfill],
        deadLetterTopic: config.topics.deadLetter,
        maxEventBytes: config.maxEventBytes,
        maxBatchMessages: config.maxBatchMessages,
        partitionsConcurrently: config.partitionsConcurrently,
        fetchMaxBytesPerPartition: config.fetchMaxBytesPerPartition,
      },
    });
  }
  return lanes;
}
