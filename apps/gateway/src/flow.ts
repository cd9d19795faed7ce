import type { Logger } from 'pino';
import type { ContextKeys } from '@phoenix/access';
import type { GatewayMetrics } from './analytics';
import type { Authenticate } from './auth';
import type { GatewayEnvironment } from './environment';
import { acceptPolicy } from './policies/accept';
import { accessLogPolicy } from './policies/access-log';
import { analyticsPolicy, errorCodesPlugin } from './policies/analytics';
import { authenticatePolicy } from './policies/authenticate';
import { bodyPolicy } from './policies/connections';
import { corsPolicy } from './policies/cors';
import { documentLimitsPlugin } from './policies/document-limits';
import { inputValuesPlugin } from './policies/input-values';
import { operationResolutionPlugin } from './policies/operation';
import { operationsPolicy } from './policies/operations';
import { quotaPolicy } from './policies/quota';
import type { RateLimiter } from './policies/rate-limit';
import { requestIdPolicy } from './policies/request-id';
import { responseCachePlugin } from './policies/response-cache';
import { retryablePlugin } from './policies/retryable';
import { safelistPolicy, type Manifest } from './policies/safelist';
import { scopesPlugin } from './policies/scopes';
import { timeoutPolicy } from './policies/timeout';
import { variablesPolicy } from './policies/variables';
import type { Flow } from './policy';
import { graphqlRoute, type SupergraphState } from './routes/graphql';
import type { createSubgraphDataSourceFactory } from './subgraphs';

/** What the gateway is built from (main.ts wires it). */
export interface GatewayDeps {
  config: GatewayEnvironment;
  logger: Logger;
  metrics: GatewayMetrics;
  authenticate: Authenticate;
  rateLimiter: RateLimiter;
  contextKeys: ContextKeys;
  manifest: Manifest | null;
  /** The Redis rate limits live in, when they do: part of readiness. */
  redis?: { ping(): Promise<unknown> } | null;
}

/**
 * The gateway's flow, the one place its order is declared (docs/architecture.md, Gateway):
 * request policies → the route → response policies. Inside the GraphQL route, the
 * operation policies run on each parsed operation, in their order.
 */
export function gatewayFlow(
  deps: GatewayDeps,
  supergraph: SupergraphState,
  dataSources: ReturnType<typeof createSubgraphDataSourceFactory>,
): { flow: Flow; graphql: ReturnType<typeof graphqlRoute> } {
  const { config, logger, metrics } = deps;
  const timeout = timeoutPolicy({ ms: config.limits.requestTimeoutMs });
  const graphql = graphqlRoute({
    config,
    logger,
    metrics,
    dataSources,
    supergraph,
    // The first refusal answers.
    operationPolicies: [
      operationResolutionPlugin(),
      documentLimitsPlugin(config.limits),
      inputValuesPlugin(),
      scopesPlugin(() => supergraph.scopes),
      responseCachePlugin(config.operations.responseCache),
      retryablePlugin(),
      errorCodesPlugin(),
    ],
  });
  const flow: Flow = {
    request: [
      requestIdPolicy(),
      corsPolicy(config.http.corsOrigins, config.auth.apiKeyHeader),
      acceptPolicy({ landingPage: config.http.landingPage }),
      bodyPolicy({ maxBytes: config.limits.maxBodyBytes, timeoutMs: config.limits.connections.bodyTimeoutMs }),
      authenticatePolicy(deps.authenticate, { introspection: config.http.introspection }),
      quotaPolicy(deps.rateLimiter, { failOpen: config.rate.failOpen, logger }),
      operationsPolicy({ maxBatch: config.limits.maxBatch }),
      variablesPolicy({ maxDepth: config.limits.maxVariableDepth }),
      safelistPolicy({ mode: config.operations.safelist.mode, manifest: deps.manifest }),
      timeout,
    ],
    routes: [graphql.route],
    response: [timeout, analyticsPolicy(metrics), accessLogPolicy(logger)],
  };
  return { flow, graphql };
}
