import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ContextKeys } from '@phoenix/access';
import type { Warehouse } from '@phoenix/bq';
import { createSubgraphServer, loadTypeDefs, type SubgraphMetrics, type SubgraphServer } from '@phoenix/subgraph';
import type { AuditEnvironment } from './environment';
import { createResolvers } from './resolvers';
import { createWatermarkSource } from './watermark';

/** The SDL file, beside this module in src/ and beside main.js in the build. */
export const SCHEMA_PATH = join(__dirname, 'schema.graphql');

/** The audit subgraph, wired: used by main.ts and by the tests, which pass their own warehouse. */
export function createAuditSubgraph(deps: {
  warehouse: Warehouse;
  logger: Logger;
  metrics: SubgraphMetrics;
  contextKeys: ContextKeys;
  http: AuditEnvironment['http'];
  changeFeed: AuditEnvironment['changeFeed'];
  now?: () => number;
}): SubgraphServer {
  return createSubgraphServer({
    name: 'subgraph-audit',
    typeDefs: loadTypeDefs(SCHEMA_PATH),
    resolvers: createResolvers({
      warehouse: deps.warehouse,
      watermark: createWatermarkSource({
        warehouse: deps.warehouse,
        options: deps.changeFeed,
        logger: deps.logger,
        registry: deps.metrics.registry,
        ...(deps.now ? { now: deps.now } : {}),
      }),
      ...(deps.now ? { now: deps.now } : {}),
    }),
    warehouse: deps.warehouse,
    contextKeys: deps.contextKeys,
    logger: deps.logger,
    metrics: deps.metrics,
    http: deps.http,
  });
}
