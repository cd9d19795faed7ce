/**
 * Composition root of subgraph-commands: configuration → logger, metrics, warehouse,
 * Redis, the Kafka producer → the subgraph server → graceful shutdown.
 */
import { Redis } from 'ioredis';
import { ConfigError } from '@phoenix/service/config';
import { createWarehouse } from '@phoenix/bq';
import { createLogger, onShutdownSignals } from '@phoenix/service';
import { createSubgraphMetrics } from '@phoenix/subgraph';
import { loadEnvironment } from './environment';
import { createEventLog } from './kafka';
import { createCommandsSubgraph } from './subgraph';

async function main(): Promise<void> {
  const env = loadEnvironment();
  const logger = createLogger({ level: env.http.logLevel, name: 'subgraph-commands' });
  // Bounded: a write whose Redis step hangs answers an error instead of waiting forever.
  const redis = new Redis(env.writes.redisUrl, { commandTimeout: 1_000, maxRetriesPerRequest: 1, lazyConnect: true });
  // Without a listener, ioredis reports every failed reconnect as an unhandled error.
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis unavailable'));
  await redis.connect();
  const log = createEventLog({ config: env.kafka, topic: env.writes.topic, timeoutMs: env.writes.produceTimeoutMs, logger });
  await log.connect();
  const server = createCommandsSubgraph({
    warehouse: createWarehouse(env.warehouse),
    log,
    redis,
    logger,
    metrics: createSubgraphMetrics('subgraph-commands'),
    contextKeys: env.context,
    http: env.http,
    writes: env.writes,
  });
  const port = await server.start();
  logger.info(
    { port, topic: env.writes.topic, dataset: env.warehouse.datasetId },
    'subgraph-commands listening on /graphql and /v1/events',
  );
  onShutdownSignals(
    async () => {
      await server.stop();
      await log.disconnect();
      redis.disconnect();
    },
    { timeoutMs: env.http.shutdownTimeoutMs, logger },
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`subgraph-commands: ${err.message}\n`);
  else process.stderr.write(`subgraph-commands: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
