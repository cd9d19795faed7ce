import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { Kind, parse } from 'graphql';
import type { Logger } from 'pino';
import type { ContextKeys } from '@phoenix/domain';
import {
  apolloLogger,
  cachedFor,
  createErrorFormatter,
  isPublicError,
  createServiceHttpServer,
  declaredScopes,
  HttpGraphQLError,
  writeGraphQLError,
  type ServiceHttpServer,
} from '@phoenix/service';
import type { GatewayMetrics } from './analytics';
import type { Authenticate, Principal } from './auth';
import type { GatewayContext } from './context';
import type { GatewayEnvironment } from './environment';
import { GATEWAY_PUBLIC_CODES } from './error-codes';
import { checkAccept } from './policies/accept';
import { limitConnections, readBodyWithin } from './policies/connections';
import { createCors } from './policies/cors';
import { documentLimitsPlugin } from './policies/document-limits';
import { inputValuesPlugin } from './policies/input-values';
import { threatProtection, tokenLimitCode } from './policies/limits';
import { operationResolutionPlugin } from './policies/operation';
import { retryablePlugin } from './policies/retryable';
import { rateLimitHeaders, type RateLimiter } from './policies/rate-limit';
import { responseCachePlugin } from './policies/response-cache';
import { createSafelist, sha256, type Manifest } from './policies/safelist';
import { checkOperationEnvelope, checkRequestValues } from './policies/variables';
import { forbiddenOperation, missingScopes } from './policies/scopes';
import { childTraceparent, createSubgraphDataSourceFactory, GATEWAY_PRINCIPAL, INTERNAL_HEADERS } from './subgraphs';
import { subgraphUrls, supergraphFromFile } from './supergraph';

export { GATEWAY_PUBLIC_CODES } from './error-codes';

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

export interface GatewayServer {
  start(): Promise<number>;
  stop(): Promise<void>;
  readonly http: ServiceHttpServer;
}

/**
 * The front door: @apollo/gateway on Apollo Server, behind Phoenix's own policies, in the
 * order Apigee ran them — CORS, authentication (API key or JWT), quota and spike arrest,
 * body size and batching, persisted operations / safelist, then in Apollo: token, depth,
 * alias, directive, cost and root-field limits, scope authorization, the response cache,
 * and analytics (metrics and one access-log line per request).
 */
export function createGatewayServer(deps: GatewayDeps): GatewayServer {
  const { config, logger, metrics } = deps;
  const production = config.http.environment === 'production';
  let scopes: ReadonlyMap<string, string> = new Map();
  let urls = new Map<string, string>();

  const dataSources = createSubgraphDataSourceFactory({
    keys: deps.contextKeys,
    contextTtlSeconds: config.federation.contextTtlSeconds,
    timeoutMs: config.federation.subgraphTimeoutMs,
    shareInFlight: config.federation.shareInFlight,
    metrics,
  });
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile(config.federation.supergraphPath, logger, () => metrics.supergraphLoads.inc({ outcome: 'refused' })),
    buildService: ({ name, url }) => dataSources.factory({ name, url: config.federation.urlOverrides[name] ?? url }),
    logger: apolloLogger(logger),
  });
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    scopes = declaredScopes(parse(coreSupergraphSdl));
    urls = new Map([...subgraphUrls(coreSupergraphSdl)].map(([name, url]) => [name, config.federation.urlOverrides[name] ?? url]));
    metrics.supergraphLoads.inc({ outcome: 'loaded' });
    logger.info({ subgraphs: Object.fromEntries(urls), scopedFields: scopes.size }, 'supergraph loaded');
  });

  const armor = threatProtection(config.limits, production);
  const formatError = createErrorFormatter(GATEWAY_PUBLIC_CODES);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.http.introspection,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => {
      const tokens = tokenLimitCode(formatted.message);
      return tokens
        ? { message: formatted.message.replace(/^Syntax Error: /, ''), extensions: { code: tokens } }
        : formatError(formatted, error);
    },
    parseOptions: armor.parseOptions,
    allowBatchedHttpRequests: config.limits.maxBatch > 1,
    // Enforce mode accepts registered operations only, so APQ registration is off there.
    persistedQueries: config.operations.safelist.mode === 'enforce' ? false : { ttl: 3600 },
    stopOnTerminationSignals: false,
    validationRules: armor.validationRules,
    logger: apolloLogger(logger),
    plugins: [
      config.http.landingPage
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
      ...armor.plugins,
      // didResolveOperation hooks run in this order; the first refusal answers.
      operationResolutionPlugin(),
      documentLimitsPlugin(config.limits),
      inputValuesPlugin(),
      scopePlugin(() => scopes),
      responseCachePlugin(config.operations.responseCache),
      retryablePlugin(),
      analyticsPlugin(),
    ],
  });

  const cors = createCors(config.http.corsOrigins, config.auth.apiKeyHeader);
  // SUBGRAPH_FAILED is the gateway's own label for a subgraph's non-2xx: logged, then masked.
  const safelist = createSafelist({ mode: config.operations.safelist.mode, manifest: deps.manifest });

  async function admit(principal: Principal, res: ServerResponse): Promise<void> {
    if (!principal.limits) return;
    let decision;
    try {
      decision = await deps.rateLimiter.check(principal.consumerId, principal.limits);
    } catch (err) {
      if (config.rate.failOpen) {
        logger.warn(
          { err, consumerId: principal.consumerId },
          'rate limiter unavailable: letting the request through (RATE_LIMIT_FAIL_OPEN)',
        );
        return;
      }
      logger.error({ err }, 'rate limiter unavailable: refusing');
      throw new HttpGraphQLError(503, 'SERVICE_UNAVAILABLE', 'rate limits cannot be checked right now; retry shortly', {
        'retry-after': '1',
      });
    }
    const headers = rateLimitHeaders(decision);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (!decision.allowed) {
      const wait = decision.retryAfterSeconds ?? decision.resetSeconds;
      throw new HttpGraphQLError(
        429,
        'RATE_LIMITED',
        `${describePolicy(decision.policy)} of ${decision.limit} exceeded: retry in ${wait} s`,
        headers,
      );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    // Only the gateway speaks for the caller: a client's copies of internal headers go.
    for (const header of INTERNAL_HEADERS) delete req.headers[header];
    let principal: Principal | null = null;
    const analytics: GatewayContext['analytics'] = { operationName: null, operationHash: null, cache: null, errorCodes: [] };
    let status = 200;
    try {
      if (cors(req, res)) {
        status = 204;
        return;
      }
      if (req.method !== 'POST' && req.method !== 'GET') {
        throw new HttpGraphQLError(405, 'METHOD_NOT_ALLOWED', 'use POST (or GET for queries)', { allow: 'GET, POST, OPTIONS' });
      }
      const landingPage = req.method === 'GET' && config.http.landingPage && String(req.headers.accept ?? '').includes('text/html');
      if (!landingPage) checkAccept(header(req, 'accept'));
      let body =
        req.method === 'POST'
          ? await readBodyWithin(req, res, { maxBytes: config.limits.maxBodyBytes, timeoutMs: config.limits.connections.bodyTimeoutMs })
          : undefined;
      const anonymous = landingPage || (config.http.introspection && isIntrospectionOnly(body));
      principal = anonymous ? { ...GATEWAY_PRINCIPAL, limits: null, method: 'api-key' } : await deps.authenticate(req);
      if (!anonymous) await admit(principal, res);

      let search = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?')) : '';
      if (Array.isArray(body)) {
        if (body.length > config.limits.maxBatch) {
          throw new HttpGraphQLError(
            400,
            'BATCH_LIMIT_EXCEEDED',
            `at most ${config.limits.maxBatch} operations per batch (got ${body.length})`,
          );
        }
        for (const op of body) checkOperationEnvelope(op);
        body = body.map((op) => safelist(checked(op as Record<string, unknown>)));
      } else if (isObject(body)) {
        checkOperationEnvelope(body);
        body = safelist(checked(body));
      } else if (req.method === 'GET' && !landingPage) {
        const params = new URLSearchParams(search);
        checked({
          variables: params.get('variables') ? safeJson(params.get('variables') as string) : undefined,
          extensions: params.get('extensions') ? safeJson(params.get('extensions') as string) : undefined,
        });
        const op = safelist({
          ...(params.get('query') ? { query: params.get('query') } : {}),
          ...(params.get('extensions') ? { extensions: safeJson(params.get('extensions') as string) as Record<string, unknown> } : {}),
        });
        if (typeof op.query === 'string') params.set('query', op.query);
        params.delete('extensions');
        search = `?${params.toString()}`;
      }

      const abort = new AbortController();
      const contextValue: GatewayContext = {
        principal,
        requestId,
        signal: abort.signal,
        traceparent: childTraceparent(header(req, 'traceparent')),
        logger: logger.child({ requestId, consumerId: principal.consumerId, tenantId: principal.tenantId }),
        analytics,
      };
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers))
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      const response = await withTimeout(
        apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method, headers, search, body },
          context: async () => contextValue,
        }),
        config.limits.requestTimeoutMs,
        () => abort.abort(new Error('request timed out')),
      );
      for (const [name, value] of response.headers) res.setHeader(name, value);
      // A batch answers each operation on its own (its errors carry their codes); the
      // batch itself was accepted, so it is 200 (docs/api.md, Batching).
      const answeredEach = Array.isArray(body) && response.body.kind === 'complete' && response.body.string.startsWith('[');
      status = answeredEach ? 200 : (response.status ?? 200);
      res.statusCode = status;
      if (response.body.kind === 'complete') res.end(response.body.string);
      else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (err) {
      if (!(err instanceof HttpGraphQLError)) {
        status = 500;
        analytics.errorCodes.push('INTERNAL_SERVER_ERROR');
        throw err;
      }
      status = err.status;
      analytics.errorCodes.push(err.code);
      metrics.refused.inc({ consumer: principal?.consumerId ?? 'unknown', code: err.code });
      writeGraphQLError(res, err);
    } finally {
      const consumer = principal?.consumerId ?? 'unknown';
      const operation = metrics.operationLabel(analytics.operationName);
      const seconds = (performance.now() - started) / 1000;
      metrics.requests.inc({ consumer, operation, status: String(status) });
      metrics.duration.observe({ consumer, operation }, seconds);
      for (const code of analytics.errorCodes) metrics.errors.inc({ consumer, code });
      // One access-log line per request: never variables, never personal data.
      logger.info(
        {
          requestId,
          consumerId: principal?.consumerId ?? null,
          tenantId: principal?.tenantId ?? null,
          operationName: analytics.operationName,
          operationHash: analytics.operationHash,
          status,
          durationMs: Math.round(seconds * 1000),
          errors: analytics.errorCodes,
          cache: analytics.cache,
        },
        'access',
      );
    }
  }

  /** Variables and extensions within MAX_VARIABLE_DEPTH and well-formed, before anything reads them. */
  function checked<T extends Record<string, unknown>>(op: T): T {
    checkRequestValues({ variables: op['variables'], extensions: op['extensions'] }, config.limits.maxVariableDepth);
    return op;
  }

  const http = createServiceHttpServer({
    port: config.http.port,
    host: config.http.host,
    logger,
    registry: metrics.registry,
    readiness: readinessProbe(() => urls, dataSources.sign, deps.redis ?? null, config.rate.failOpen),
    routes: { '/graphql': handle, '/': handle },
  });
  limitConnections(http.server, config.limits.connections, () =>
    metrics.refused.inc({ consumer: 'unknown', code: 'TOO_MANY_CONNECTIONS' }),
  );

  return {
    http,
    async start() {
      await apollo.start();
      return http.listen();
    },
    async stop() {
      await http.close();
      await apollo.stop();
      await dataSources.close();
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

function describePolicy(policy: string): string {
  return policy === 'spike-arrest' ? 'spike arrest rate' : policy === 'quota-minute' ? 'per-minute quota' : 'daily quota';
}

/** True for an operation that only asks the schema about itself (Sandbox's polling): no subgraph is involved. */
function isIntrospectionOnly(body: unknown): boolean {
  if (!isObject(body) || typeof body['query'] !== 'string' || body['query'].length > 20_000) return false;
  try {
    const document = parse(body['query']);
    return document.definitions.every(
      (d) =>
        d.kind === Kind.FRAGMENT_DEFINITION ||
        (d.kind === Kind.OPERATION_DEFINITION &&
          d.operation === 'query' &&
          d.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'))),
    );
  } catch {
    return false;
  }
}

/** Rejects with 504 REQUEST_TIMEOUT after `ms`, and calls `onTimeout` (which stops the work still running). */
async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new HttpGraphQLError(504, 'REQUEST_TIMEOUT', `the request took longer than ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Refuses, before planning, an operation that selects a field whose scope the consumer lacks. */
function scopePlugin(scopes: () => ReadonlyMap<string, string>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, schema, contextValue, operationName, source }) {
          contextValue.analytics.operationName = operationName ?? null;
          contextValue.analytics.operationHash = sha256(source);
          const missing = missingScopes(schema, document, scopes(), contextValue.principal.scopes);
          if (missing.length > 0) throw forbiddenOperation(missing);
        },
      };
    },
  };
}

/** Collects the error codes of every response for metrics and the access log, and logs the internal ones with their cause. */
function analyticsPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.['code'];
            // The client's answer says "retry" or "refused"; operators still need to see the subgraph's state.
            if (code === 'SUBGRAPH_UNAVAILABLE' || code === 'DOWNSTREAM_SERVICE_ERROR') {
              contextValue.logger.warn(
                { code, subgraph: error.extensions?.['serviceName'], reason: error.message },
                'subgraph call failed',
              );
              continue;
            }
            if (isPublicError(error, GATEWAY_PUBLIC_CODES)) continue;
            contextValue.logger.error({ err: error.originalError ?? error, path: error.path?.join('.') }, 'request failed');
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            contextValue.analytics.errorCodes.push(String(error.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR'));
          }
        },
      };
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
