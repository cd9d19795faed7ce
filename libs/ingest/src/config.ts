import { z } from 'zod';
import { envList, parseConfig } from '@phoenix/service/config';
import { warehouseEnvironment } from '@phoenix/bq';
import { kafkaEnvironment as sharedKafkaEnvironment } from '@phoenix/service';

/**
 * The ingest's configuration from environment variables: one schema per concern, every
 * problem reported at once. Variables are listed in docs/configuration.md. The app's
 * environment.ts hands process.env in; benchmarks and tests hand their own.
 */
export const kafkaEnvironment = sharedKafkaEnvironment('phoenix-ingest');

const httpUrl = (example: string) => z.string().regex(/^https?:\/\/[^/\s]+/, `must be an http(s) URL, e.g. ${example}`);

/**
 * Where spans go: the standard OpenTelemetry variables. OTLP over HTTP (JSON) to
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces;
 * neither set: spans are created (log lines carry their trace ids) but not exported.
 */
export const tracingEnvironment = z
  .object({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl('http://otel-collector:4318/v1/traces').optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl('http://otel-collector:4318').optional(),
    OTEL_SERVICE_NAME: z.string().min(1).default('phoenix-ingest'),
  })
  .transform((e) => {
    const endpoint =
      e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
    return { serviceName: e.OTEL_SERVICE_NAME, ...(endpoint ? { otlpEndpoint: endpoint } : {}) };
  });

const LANES = ['live', 'backfill'] as const;

export const ingestEnvironment = z
  .object({
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    TOPIC_EVENTS: z.string().min(1).default('phoenix.events'),
    TOPIC_BACKFILL: z.string().min(1).default('phoenix.backfill'),
    TOPIC_DEADLETTER: z.string().min(1).default('phoenix.deadletter'),
    INGEST_GROUP_ID: z.string().min(1).default('phoenix-ingest'),
    INGEST_BACKFILL_GROUP_ID: z.string().min(1).default('phoenix-ingest-backfill'),
    INGEST_LANES: envList()
      .pipe(z.array(z.enum(LANES, { message: 'each lane must be live or backfill' })).min(1, 'run at least one lane'))
      .default(['live', 'backfill']),
    // Messages per chunk of a Kafka batch: the unit of decoding and of offset commits.
    // All chunks of a fetch go to the lane's group commit at once, so writes are bigger.
    INGEST_MAX_BATCH: z.coerce.number().int().min(1).max(50_000).default(1_000),
    // Partitions of one lane processed at once; their chunks share writes (group commit).
    INGEST_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(6),
    // Bytes one fetch brings per partition; with INGEST_MAX_BATCH, what sizes a write.
    INGEST_FETCH_MAX_BYTES_PER_PARTITION: z.coerce
      .number()
      .int()
      .min(65_536)
      .max(256 * 1024 * 1024)
      .default(8 * 1024 * 1024),
    // Upper bound of one group-committed write, in messages.
    INGEST_MAX_WRITE_MESSAGES: z.coerce.number().int().min(1).max(200_000).default(50_000),
    // Staged rows are deleted after this; keep it above real BigQuery's ~30 minute window
    // in which freshly streamed rows cannot be deleted.
    INGEST_STAGE_RETENTION_MINUTES: z.coerce.number().int().min(1).default(120),
    INGEST_MAX_EVENT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  })
  .transform((e) => ({
    logLevel: e.LOG_LEVEL,
    topics: { events: e.TOPIC_EVENTS, backfill: e.TOPIC_BACKFILL, deadLetter: e.TOPIC_DEADLETTER },
    groups: { live: e.INGEST_GROUP_ID, backfill: e.INGEST_BACKFILL_GROUP_ID },
    lanes: [...new Set(e.INGEST_LANES)],
    maxBatchMessages: e.INGEST_MAX_BATCH,
    partitionsConcurrently: e.INGEST_PARTITIONS_CONCURRENTLY,
    fetchMaxBytesPerPartition: e.INGEST_FETCH_MAX_BYTES_PER_PARTITION,
    maxWriteMessages: e.INGEST_MAX_WRITE_MESSAGES,
    stageRetentionMs: e.INGEST_STAGE_RETENTION_MINUTES * 60_000,
    maxEventBytes: e.INGEST_MAX_EVENT_BYTES,
    httpPort: e.HTTP_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  }));

export function parseIngestEnvironment(env: Readonly<Record<string, string | undefined>>) {
  return parseConfig(
    { kafka: kafkaEnvironment, warehouse: warehouseEnvironment, ingest: ingestEnvironment, tracing: tracingEnvironment },
    env,
  );
}

export type IngestEnvironment = ReturnType<typeof parseIngestEnvironment>;
