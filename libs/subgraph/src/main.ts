import { ConfigError } from '@phoenix/service/config';
import { createWarehouse, type Warehouse, type WarehouseConfig } from '@phoenix/bq';
import { createLogger, onShutdownSignals } from '@phoenix/service';
import type { Logger } from 'pino';
import { createSubgraphMetrics, type SubgraphMetrics } from './metrics';
import type { SubgraphServer } from './server';

/** What every subgraph's environment holds (its environment.ts composes the schemas). */
export interface SubgraphEnvironmentBase {
  http: { logLevel: string; shutdownTimeoutMs: number };
  warehouse: WarehouseConfig;
}

/**
 * A subgraph process: reads its environment, builds its logger, metrics and warehouse,
 * starts the server `create` wires, logs where it listens, and stops it on SIGTERM/SIGINT
 * within the configured deadline. A configuration error or a failed start ends the
 * process with a one-line message and status 1.
 */
export function runSubgraph<E extends SubgraphEnvironmentBase>(
  name: string,
  loadEnvironment: () => E,
  create: (env: E, deps: { warehouse: Warehouse; logger: Logger; metrics: SubgraphMetrics }) => SubgraphServer,
): void {
  const main = async () => {
    const env = loadEnvironment();
    const logger = createLogger({ level: env.http.logLevel, name });
    const server = create(env, { warehouse: createWarehouse(env.warehouse), logger, metrics: createSubgraphMetrics(name) });
    const port = await server.start();
    logger.info({ port, dataset: env.warehouse.datasetId }, `${name} listening on /graphql`);
    onShutdownSignals(() => server.stop(), { timeoutMs: env.http.shutdownTimeoutMs, logger });
  };
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${name}: ${err.message}\n`);
    else process.stderr.write(`${name}: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
