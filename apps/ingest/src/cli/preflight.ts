/**
 * `preflight`: with the ingest's own configuration and clients, checks that the broker
 * answers and the topics exist, and that the warehouse answers and holds every table.
 * Exit 0 when all is there, 1 otherwise (with what to do). The status step of `npm start`.
 */
import { ConfigError } from '@phoenix/domain';
import { createWarehouse, WAREHOUSE_TABLES } from '@phoenix/bq';
import { loadEnvironment } from '../environment';
import { createKafka, preflight } from '@phoenix/ingest';
import { createLogger } from '@phoenix/service';

async function main(): Promise<number> {
  const env = loadEnvironment();
  const logger = createLogger({ level: env.ingest.logLevel, name: 'ingest-preflight' });
  const kafka = createKafka(env.kafka, logger);
  const warehouse = createWarehouse(env.warehouse);
  const topics = [env.ingest.topics.events, env.ingest.topics.backfill, env.ingest.topics.deadLetter];
  const report = await preflight({
    kafka,
    warehouse,
    topics,
    deadLetterTopic: env.ingest.topics.deadLetter,
    requiredTables: WAREHOUSE_TABLES.map((t) => t.name),
    logger,
  });
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
    if (err instanceof ConfigError) process.stderr.write(`preflight: ${err.message}\n`);
    else process.stderr.write(`preflight: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
