import { cachedFor, createServiceHttpServer, type ServiceHttpServer } from '@phoenix/service';
import type { GatewayContext } from './context';
import type { GatewayDeps, gatewayFlow } from './flow';
import { limitConnections } from './policies/connections';
import { runFlow } from './policy';
import type { SupergraphState } from './routes/graphql';
import { createSubgraphDataSourceFactory } from './subgraphs';

export { GATEWAY_PUBLIC_CODES } from './error-codes';
export type { GatewayDeps } from './flow';

export interface GatewayServer {
  start(): Promise<number>;
  stop(): Promise<void>;
  readonly http: ServiceHttpServer;
}

/**
 * The front door: the gateway's flow (`flow`, declared in flow.ts: request policies →
 * the GraphQL route → response policies) on the service HTTP server, with /readyz from
 * the subgraphs (and Redis when rate limits live there) and connection limits before
 * any request is read.
 */
export function createGatewayServer(deps: GatewayDeps, flowOf: typeof gatewayFlow): GatewayServer {
  const { config, metrics } = deps;
  const supergraph: SupergraphState = { scopes: new Map(), urls: new Map() };
  const dataSources = createSubgraphDataSourceFactory({
    keys: deps.contextKeys,
    contextTtlSeconds: config.federation.contextTtlSeconds,
    timeoutMs: config.federation.subgraphTimeoutMs,
    shareInFlight: config.federation.shareInFlight,
    metrics,
  });
  const { flow, graphql } = flowOf(deps, supergraph, dataSources);
  const handle = runFlow(flow);

  const http = createServiceHttpServer({
    port: config.http.port,
    host: config.http.host,
    logger: deps.logger,
    registry: metrics.registry,
    readiness: readinessProbe(() => supergraph.urls, dataSources.sign, deps.redis ?? null, config.rate.failOpen),
    routes: { '/graphql': handle, '/': handle },
  });
  limitConnections(http.server, config.limits.connections, () =>
    metrics.refused.inc({ consumer: 'unknown', code: 'TOO_MANY_CONNECTIONS' }),
  );

  return {
    http,
    async start() {
      await graphql.start();
      return http.listen();
    },
    async stop() {
      await http.close();
      await graphql.stop();
      await dataSources.close();
    },
  };
}

/**
 * Ready when every subgraph answers `{ __typename }` (signed as the gateway itself) and,
 * when rate limits live in Redis and a Redis failure refuses requests (fail closed),
 * Redis answers PING; kept for 5 s. With RATE_LIMIT_FAIL_OPEN a Redis failure is shown
 * but does not make the gateway unready: it still serves.
 */
function readinessProbe(
  urls: () => ReadonlyMap<string, string>,
  sign: (ctx: Partial<GatewayContext>) => string,
  redis: { ping(): Promise<unknown> } | null,
  failOpen: boolean,
) {
  const pingRedis = async (): Promise<string> => {
    if (!redis) return 'ok';
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        redis.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 2000 ms')), 2_000))),
      ]);
      return 'ok';
    } catch (err) {
      return `unreachable: ${(err as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
  };
  return cachedFor(5_000, async () => {
    const entries = [...urls()];
    const redisState = redis ? pingRedis() : null;
    const checks = await Promise.all(
      entries.map(async ([name, url]) => {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-phoenix-context': sign({}) },
            body: JSON.stringify({ query: '{ __typename }' }),
            signal: AbortSignal.timeout(2_000),
          });
          return [name, res.ok ? 'ok' : `HTTP ${res.status}`] as const;
        } catch (err) {
          return [name, `unreachable: ${(err as Error).message}`] as const;
        }
      }),
    );
    const redisStatus = redisState ? await redisState : null;
    const subgraphsReady = entries.length > 0 && checks.every(([, s]) => s === 'ok');
    return {
      ready: subgraphsReady && (redisStatus === null || redisStatus === 'ok' || failOpen),
      subgraphs: Object.fromEntries(checks),
      ...(redisStatus === null ? {} : { redis: redisStatus }),
    };
  });
}
