import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ContextKeys } from '@phoenix/access';
import type { Warehouse } from '@phoenix/bq';
import { createSubgraphServer, loadTypeDefs, type SubgraphMetrics, type SubgraphServer } from '@phoenix/subgraph';
import { cloudEventsHandler } from './cloudevents';
import { createCommands } from './commands';
import type { CommandsEnvironment } from './environment';
import type { EventLog } from './kafka';
import { createResolvers } from './resolvers';
import { createWriteStore } from './store';
import { createWriter } from './writer';

/** The SDL file, beside this module in src/ and beside main.js in the build. */
export const SCHEMA_PATH = join(__dirname, 'schema.graphql');

/** The commands subgraph, wired: GraphQL on /graphql, the CloudEvents binding on /v1/events. */
export function createCommandsSubgraph(deps: {
  warehouse: Warehouse;
  log: EventLog;
  redis: Redis;
  logger: Logger;
  metrics: SubgraphMetrics;
  contextKeys: ContextKeys;
  http: CommandsEnvironment['http'];
  writes: CommandsEnvironment['writes'];
}): SubgraphServer {
  const store = createWriteStore(deps.redis, deps.writes.redisPrefix);
  const writer = createWriter({ log: deps.log, store, warehouse: deps.warehouse, config: deps.writes, logger: deps.logger });
  const commands = createCommands({ writer, store, warehouse: deps.warehouse });
  return createSubgraphServer({
    name: 'subgraph-commands',
    typeDefs: loadTypeDefs(SCHEMA_PATH),
    resolvers: createResolvers({ commands, writer }),
    warehouse: deps.warehouse,
    contextKeys: deps.contextKeys,
    logger: deps.logger,
    metrics: deps.metrics,
    http: deps.http,
    routes: {
      '/v1/events': cloudEventsHandler({
        writer,
        contextKeys: deps.contextKeys,
        maxBodyBytes: deps.http.maxBodyBytes,
        logger: deps.logger,
      }),
    },
    readiness: async () => {
      const redis = await deps.redis.ping().then(
        () => 'ok',
        (err: unknown) => `unreachable: ${err instanceof Error ? err.message : String(err)}`,
      );
      // Kafka's state is reported, not gated on: a replica taken out of rotation after a failed
      // write would never write again to prove the broker back; writes answer UNAVAILABLE themselves.
      const kafka = deps.log.readiness();
      return { ready: redis === 'ok', redis, kafka: kafka.kafka };
    },
  });
}
