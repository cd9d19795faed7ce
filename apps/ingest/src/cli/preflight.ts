/**
 * `preflight`: with the ingest's own configuration and clients, checks that the broker
 * answers and the topics exist, and that the warehouse answers and holds every table.
 * Exit 0 when all is there, 1 otherwise (with what to do). The status step of `npm start`.
 */
import { ConfigError } from '@phoenix/service/config';
import { createWarehouse } from '@phoenix/bq';
import { checkPrerequisites, createKafka, createMetrics } from '@phoenix/ingest';
import { createLogger } from '@phoenix/service';
import { loadEnvironment } from '../environment';

async function main(): Promise<number> {
  const env = loadEnvironment();
  const logger = createLogger({ level: env.ingest.logLevel, name: 'ingest-preflight' });
  const kafka = createKafka(env.kafka, logger);
  const warehouse = createWarehouse(env.warehouse);
  const missing = await checkPrerequisites({ kafka, warehouse, metrics: createMetrics(), logger, topics: env.ingest.topics });
  if (missing.missingTopics.length > 0 || missing.missingTables.length > 0) {
    logger.error(missing, 'preflight failed: create the topics (tools/local/kafka.sh create-topics) and run npm run migrate');
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
