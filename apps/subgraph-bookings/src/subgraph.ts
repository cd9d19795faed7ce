import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ContextKeys } from '@phoenix/access';
import type { Warehouse } from '@phoenix/bq';
import { createSubgraphServer, loadTypeDefs, type SubgraphMetrics, type SubgraphServer } from '@phoenix/subgraph';
import { createEntityStore } from './entities';
import type { BookingsEnvironment } from './environment';
import { createResolvers } from './resolvers';

/** The SDL file, beside this module in src/ and beside main.js in the build. */
export const SCHEMA_PATH = join(__dirname, 'schema.graphql');

/** The bookings subgraph, wired: used by main.ts and by the tests, which pass their own warehouse. */
export function createBookingsSubgraph(deps: {
  warehouse: Warehouse;
  logger: Logger;
  metrics: SubgraphMetrics;
  contextKeys: ContextKeys;
  http: BookingsEnvironment['http'];
  cache: BookingsEnvironment['cache'];
}): SubgraphServer {
  const store = createEntityStore({ warehouse: deps.warehouse, metrics: deps.metrics, cache: deps.cache });
  return createSubgraphServer({
    name: 'subgraph-bookings',
    typeDefs: loadTypeDefs(SCHEMA_PATH),
    resolvers: createResolvers({ warehouse: deps.warehouse, store }),
    warehouse: deps.warehouse,
    contextKeys: deps.contextKeys,
    logger: deps.logger,
    metrics: deps.metrics,
    http: deps.http,
  });
}
