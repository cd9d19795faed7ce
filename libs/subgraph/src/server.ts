import { readFileSync } from 'node:fs';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
// The resolver map type is not re-exported from the package's entry point.
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse, type DocumentNode, type GraphQLScalarType } from 'graphql';
import type { Logger } from 'pino';
import type { ContextKeys } from '@phoenix/access';
import { sql, type Warehouse } from '@phoenix/bq';
import {
  apolloLogger,
  cachedFor,
  createServiceHttpServer,
  formatError,
  graphqlHandler,
  INTERNAL_MESSAGE,
  isPublicError,
  type HttpHandler,
  type Readiness,
  type ServiceHttpServer,
} from '@phoenix/service';
import { authenticate, createContext, type SubgraphContext } from './context';
import type { SubgraphMetrics } from './metrics';
import { DateScalar, DateTimeScalar } from './scalars';
import { inputStringsPlugin } from './input-strings';
import { enforceScopes } from './scopes';

/**
 * Resolvers by type and field (functions, `__resolveReference`, `__resolveType`, enum
 * value maps, scalars). Each subgraph types its map by the `Resolvers` type generated
 * from its SDL, which checks it against the schema; this is what any such map is.
 */
export type SubgraphResolvers = Record<string, GraphQLScalarType | Record<string, unknown>>;

/** Reads a `.graphql` file (the SDL lives beside the resolvers; builds copy it next to main.js). */
export function loadTypeDefs(path: string): DocumentNode {
  return parse(readFileSync(path, 'utf8'));
}

export interface SubgraphServerOptions {
  name: string;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers;
  warehouse: Warehouse;
  contextKeys: ContextKeys;
  logger: Logger;
  metrics: SubgraphMetrics;
  http: { port: number; host: string; maxBodyBytes: number; introspection: boolean };
  /** More routes beside /graphql (e.g. an HTTP binding); each authenticates the signed context itself. */
  routes?: Record<string, HttpHandler>;
  /** More readiness checks (e.g. the broker); the subgraph is ready when the warehouse and every check are. */
  readiness?: () => Promise<Readiness>;
}

export interface SubgraphServer {
  /** Starts Apollo and the HTTP server; resolves with the bound port. */
  start(): Promise<number>;
  /** Stops taking requests, lets in-flight ones finish, stops Apollo. */
  stop(): Promise<void>;
  readonly http: ServiceHttpServer;
}

/**
 * A Federation 2 subgraph on /graphql with the operational endpoints beside it. Every
 * GraphQL request must carry the gateway's signed context; the context holds the
 * tenant, a per-request warehouse that counts and tenant-checks reads, and the
 * request's DataLoaders.
 */
export function createSubgraphServer(options: SubgraphServerOptions): SubgraphServer {
  const { metrics, logger } = options;
  const schema = enforceScopes(
    buildSubgraphSchema({
      typeDefs: options.typeDefs,
      // @apollo/subgraph's map type has no member for `__resolveReference`'s or
      // `__resolveType`'s signatures (it types every member as a field resolver), so the
      // generated types, not this one, are what check the map.
      resolvers: { DateTime: DateTimeScalar, Date: DateScalar, ...options.resolvers } as GraphQLResolverMap<unknown>,
    }),
  );
  const apollo = new ApolloServer<SubgraphContext>({
    schema,
    introspection: options.http.introspection,
    includeStacktraceInErrorResponses: false,
    formatError,
    // Our own shutdown handling closes the HTTP server first.
    stopOnTerminationSignals: false,
    // Inline tracing (ftv1) serves Apollo Studio, which Phoenix does not use: it would cost CPU per request.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      inputStringsPlugin(),
      observabilityPlugin(metrics),
    ],
    logger: apolloLogger(logger),
  });
  const http = createServiceHttpServer({
    port: options.http.port,
    host: options.http.host,
    logger,
    registry: metrics.registry,
    readiness: combineReadiness(readinessProbe(options.warehouse), options.readiness),
    routes: {
      ...options.routes,
      '/graphql': graphqlHandler(apollo, {
        maxBodyBytes: options.http.maxBodyBytes,
        context: async (req) => {
          try {
            const auth = authenticate(req, options.contextKeys);
            return createContext({ auth, warehouse: options.warehouse, logger, metrics });
          } catch (err) {
            metrics.requests.inc({ outcome: 'refused' });
            metrics.errors.inc({ code: 'UNAUTHENTICATED' });
            logger.warn({ reason: (err as Error).message }, 'request refused');
            throw err;
          }
        },
      }),
    },
  });
  return {
    http,
    async start() {
      await apollo.start();
      return http.listen();
    },
    async stop() {
      await http.close();
      await apollo.stop();
    },
  };
}

function combineReadiness(warehouse: () => Promise<Readiness>, extra?: () => Promise<Readiness>): () => Promise<Readiness> {
  if (!extra) return warehouse;
  return async () => {
    const [a, b] = await Promise.all([warehouse(), extra().catch((err: unknown) => ({ ready: false, error: String(err) }))]);
    return { ...a, ...b, ready: a.ready && b.ready };
  };
}

/** Ready when the warehouse answers a trivial query; the answer is kept for 5 s so probes cost little. */
function readinessProbe(warehouse: Warehouse) {
  return cachedFor(5_000, () =>
    warehouse.query({ sql: sql`SELECT 1 AS ok`, params: {} }).then(
      () => ({ ready: true, warehouse: 'ok' }),
      (err: unknown) => ({ ready: false, warehouse: `unreachable: ${err instanceof Error ? err.message : String(err)}` }),
    ),
  );
}

/**
 * Metrics and logs per request: duration, outcome, warehouse reads per request,
 * resolver timings (only fields with their own resolver), errors by code. Internal
 * errors are logged with the request id, which the masked error carries to the client.
 */
function observabilityPlugin(metrics: SubgraphMetrics): ApolloServerPlugin<SubgraphContext> {
  return {
    async requestDidStart() {
      const endRequest = metrics.requestSeconds.startTimer();
      const started = performance.now();
      const cpu = process.cpuUsage();
      return {
        async executionDidStart() {
          return {
            willResolveField({ info }) {
              if (!info.parentType.getFields()[info.fieldName]?.resolve) return;
              const end = metrics.resolverSeconds.startTimer({ field: `${info.parentType.name}.${info.fieldName}` });
              return () => end();
            },
          };
        },
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (isPublicError(error)) continue;
            contextValue.logger.error({ err: unwrapResolverError(error), path: error.path?.join('.') }, 'resolver failed');
          }
        },
        async willSendResponse({ response, contextValue, operationName, errors }) {
          endRequest();
          metrics.queriesPerRequest.observe(contextValue.db.queries.length);
          metrics.requests.inc({ outcome: errors && errors.length > 0 ? 'error' : 'ok' });
          if (response.body.kind === 'single') {
            for (const error of response.body.singleResult.errors ?? []) {
              const code = String(error.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR');
              metrics.errors.inc({ code });
              // The masked message asks clients to quote this id; the log line has the same one.
              if (error.message === INTERNAL_MESSAGE) (error.extensions as Record<string, unknown>)['requestId'] = contextValue.requestId;
            }
          }
          contextValue.logger.info(
            {
              operationName: operationName ?? null,
              durationMs: Math.round(performance.now() - started),
              // The process's CPU while this request ran: its own share only when it ran alone.
              cpuMs: cpuMs(process.cpuUsage(cpu)),
              warehouseQueries: contextValue.db.queries.length,
              errors: errors?.length ?? 0,
            },
            'graphql request',
          );
        },
      };
    },
  };
}

const cpuMs = (used: NodeJS.CpuUsage) => Math.round((used.user + used.system) / 10) / 100;
