/**
 * Composition root of the ingest app: configuration → logger, metrics, tracing → the
 * service (probes, shutdown) → Kafka and warehouse clients → prerequisites → one
 * consumer-group lane per configured lane (live, backfill) → HTTP → start.
 */
import { ConfigError } from '@phoenix/service/config';
import { createWarehouse } from '@phoenix/bq';
import {
  checkPrerequisites,
  createKafka,
  createLanes,
  createMetrics,
  createTracing,
  lanesReadiness,
  reconciliationRoute,
  type Ingestor,
} from '@phoenix/ingest';
import { createLogger, createService, type Service } from '@phoenix/service';
import { loadEnvironment } from './environment';

let service: Service | undefined;

async function main(): Promise<void> {
  const env = loadEnvironment();
  const logger = createLogger({ level: env.ingest.logLevel, name: 'ingest' });
  const metrics = createMetrics();
  const lanes: Record<string, Ingestor> = {};
  // Signals are handled from here on, whatever is up yet: each part registers its closer
  // as it starts, and a shutdown closes them in reverse order within the bound.
  const svc = (service = createService({
    port: env.ingest.httpPort,
    logger,
    registry: metrics.registry,
    readiness: lanesReadiness(lanes),
    routes: { '/reconciliation': reconciliationRoute(lanes) },
    shutdownTimeoutMs: env.ingest.shutdownTimeoutMs,
  }));
  const tracing = createTracing(env.tracing);
  svc.closing('tracing', () => tracing.shutdown());
  const kafka = createKafka(env.kafka, logger);
  const warehouse = createWarehouse(env.warehouse);
  svc.closing('warehouse', () => warehouse.close());

  const missing = await checkPrerequisites({ kafka, warehouse, metrics, logger, topics: env.ingest.topics });
  if (svc.stopping) return;
  if (missing.missingTopics.length > 0 || missing.missingTables.length > 0) {
    logger.fatal(missing, 'cannot start: create the topics and run npm run migrate');
    process.exit(1);
  }

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  svc.closing('producer', () => producer.disconnect());
  await producer.connect();
  if (svc.stopping) return;
  Object.assign(lanes, createLanes({ kafka, producer, warehouse, metrics, tracing, logger, config: env.ingest }));
  const port = await svc.listen();
  // Lanes stop first (registered last): they commit what is written before anything below goes.
  svc.closing('lanes', () => Promise.all(Object.values(lanes).map((lane) => lane.stop())));
  for (const lane of Object.values(lanes)) {
    if (svc.stopping) return;
    await lane.start();
  }
  logger.info({ port, lanes: env.ingest.lanes }, 'ingest started');
}

main().catch((err: unknown) => {
  // A start-up step that failed because the shutdown closed what it used: the shutdown exits.
  if (service?.stopping) return;
  if (err instanceof ConfigError) process.stderr.write(`ingest: ${err.message}\n`);
  else process.stderr.write(`ingest: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
