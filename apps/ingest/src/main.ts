/**
 * Composition root of the ingest app. Today it wires the configured Kafka and
 * BigQuery clients and runs the preflight (broker, topics, warehouse tables) — the
 * status step of `npm start`. The consuming pipeline itself is issue #3.
 */
import { ConfigError } from '@phoenix/domain';
import { createWarehouse, WAREHOUSE_TABLES } from '@phoenix/bq';
import { loadEnvironment } from './environment';
import { createKafka } from './kafka';
import { createLogger } from './logger';
import { preflight } from './preflight';

async function main(): Promise<number> {
  const env = loadEnvironment();
  const logger = createLogger({ level: env.ingest.logLevel, name: 'ingest' });
  const kafka = createKafka(env.kafka, logger);
  const warehouse = createWarehouse(env.warehouse);
  const topics = [env.ingest.topics.events, env.ingest.topics.backfill, env.ingest.topics.deadLetter];
  const report = await preflight({ kafka, warehouse, topics, requiredTables: WAREHOUSE_TABLES.map((t) => t.name), logger });
  const missingTopics = Object.entries(report.kafka.topics)
    .filter(([, t]) => t === 'missing')
    .map(([name]) => name);
  if (missingTopics.length > 0 || report.warehouse.missingTables.length > 0) {
    logger.error(
      { missingTopics, missingTables: report.warehouse.missingTables },
      'preflight failed: create the topics (tools/local/kafka.sh create-topics) and run npm run migrate',
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`ingest: ${err.message}\n`);
    else process.stderr.write(`ingest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
