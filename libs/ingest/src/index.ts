/**
 * @phoenix/ingest — the Kafka → warehouse ingest as a feature: configuration schemas,
 * the Kafka client, one consumer lane (ingestor), the write pipeline (decode, classify,
 * enrich, write, dead letters), metrics, tracing, lag and preflight, and the backfill
 * import and dead-letter redrive. apps/ingest composes it; benchmarks and tests use it
 * directly. The only side of the house that talks to the broker.
 */
export * from './config';
export * from './kafka';
export * from './ingestor';
export * from './lag';
export * from './metrics';
export * from './preflight';
export * from './tracing';
export * from './pipeline/accounting';
export * from './pipeline/classify';
export * from './pipeline/dead-letter';
export * from './pipeline/decode';
export * from './pipeline/enrichment';
export * from './pipeline/group-commit';
export * from './pipeline/retry';
export * from './pipeline/write-log';
export * from './pipeline/writer';
export * from './backfill/checkpoint';
export * from './backfill/cli-support';
export * from './backfill/formats';
export * from './backfill/import';
export * from './backfill/kafka-io';
export * from './backfill/lines';
export * from './backfill/messages';
export * from './backfill/progress';
export * from './backfill/redrive';
export * from './operations';
export * from './lanes';
export * from './backfill/batcher';
export * from './backfill/line-outcome';
export * from './backfill/produce';
export * from './backfill/rejects';
export * from './backfill/progress-ticker';
export * from './backfill/redrive-warehouse';
