/**
 * Composition root of subgraph-audit: configuration → logger, metrics, warehouse →
 * the subgraph server → graceful shutdown.
 */
import { ConfigError } from '@phoenix/domain';
import { createWarehouse } from '@phoenix/bq';
import { createLogger, onShutdownSignals } from '@phoenix/service';
import { createSubgraphMetrics } from '@phoenix/subgraph';
import { loadEnvironment } from './environment';
import { createAuditSubgraph } from './subgraph';

async function main(): Promise<void> {
  const env = loadEnvironment();
  const logger = createLogger({ level: env.http.logLevel, name: 'subgraph-audit' });
  const server = createAuditSubgraph({
    warehouse: createWarehouse(env.warehouse),
    logger,
    metrics: createSubgraphMetrics('subgraph-audit'),
    contextKeys: env.context,
    http: env.http,
    changeFeed: env.changeFeed,
  });
  const port = await server.start();
  logger.info({ port, dataset: env.warehouse.datasetId }, 'subgraph-audit listening on /graphql');
  onShutdownSignals(() => server.stop(), { timeoutMs: env.http.shutdownTimeoutMs, logger });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`subgraph-audit: ${err.message}\n`);
  else process.stderr.write(`subgraph-audit: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
