import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import { apolloLogger, createErrorFormatter, declaredScopes } from '@phoenix/service';
import type { GatewayMetrics } from '../analytics';
import type { GatewayContext } from '../context';
import type { GatewayEnvironment } from '../environment';
import { GATEWAY_PUBLIC_CODES } from '../error-codes';
import { headerOf, type Exchange } from '../exchange';
import { threatProtection, tokenLimitCode } from '../policies/limits';
import { untilAborted } from '../policies/timeout';
import type { Route } from '../policy';
import { childTraceparent, type createSubgraphDataSourceFactory } from '../subgraphs';
import { subgraphUrls, supergraphFromFile } from '../supergraph';

/** What the supergraph in force says, re-read on every load: the scope map and the subgraph URLs. */
export interface SupergraphState {
  scopes: ReadonlyMap<string, string>;
  urls: ReadonlyMap<string, string>;
}

/**
 * The GraphQL route: @apollo/gateway on Apollo Server, for every request the request
 * policies let through. Apollo parses and validates (the token limit, graphql-armor),
 * then runs the operation policies in the order given (`operationPolicies`: each an
 * Apollo plugin on the parsed operation), plans and calls the subgraphs. The exchange's
 * principal, analytics and abort signal become the operation's context.
 */
export function graphqlRoute(deps: {
  config: GatewayEnvironment;
  logger: Logger;
  metrics: GatewayMetrics;
  dataSources: ReturnType<typeof createSubgraphDataSourceFactory>;
  supergraph: SupergraphState;
  operationPolicies: readonly ApolloServerPlugin<GatewayContext>[];
}) {
  const { config, logger, metrics, supergraph } = deps;
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile(config.federation.supergraphPath, logger, () => metrics.supergraphLoads.inc({ outcome: 'refused' })),
    buildService: ({ name, url }) => deps.dataSources.factory({ name, url: config.federation.urlOverrides[name] ?? url }),
    logger: apolloLogger(logger),
  });
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    supergraph.scopes = declaredScopes(parse(coreSupergraphSdl));
    supergraph.urls = new Map(
      [...subgraphUrls(coreSupergraphSdl)].map(([name, url]) => [name, config.federation.urlOverrides[name] ?? url]),
    );
    metrics.supergraphLoads.inc({ outcome: 'loaded' });
    logger.info({ subgraphs: Object.fromEntries(supergraph.urls), scopedFields: supergraph.scopes.size }, 'supergraph loaded');
  });

  const armor = threatProtection(config.limits, config.http.environment === 'production');
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
      ...deps.operationPolicies,
    ],
  });

  const route: Route = {
    name: 'graphql',
    matches: () => true,
    async handle(exchange) {
      const { req, res, principal, requestId, analytics } = exchange;
      if (!principal) throw new Error('the GraphQL route needs an authenticated exchange');
      const contextValue: GatewayContext = {
        principal,
        requestId,
        signal: exchange.abort.signal,
        traceparent: childTraceparent(headerOf(req, 'traceparent')),
        logger: logger.child({ requestId, consumerId: principal.consumerId, tenantId: principal.tenantId }),
        analytics,
      };
      const headers = new HeaderMap();
      for (const name in req.headers) {
        const value = req.headers[name];
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const { body, search } = apolloRequest(exchange);
      const response = await untilAborted(
        apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method as string, headers, search, body },
          context: async () => contextValue,
        }),
        exchange.abort.signal,
      );
      for (const [name, value] of response.headers) res.setHeader(name, value);
      // A batch answers each operation on its own (its errors carry their codes); the
      // batch itself was accepted, so it is 200 (docs/api.md, Batching).
      const answeredEach = exchange.batch && response.body.kind === 'complete' && response.body.string.startsWith('[');
      exchange.status = answeredEach ? 200 : (response.status ?? 200);
      res.statusCode = exchange.status;
      if (response.body.kind === 'complete') res.end(response.body.string);
      else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    },
  };

  return {
    route,
    start: () => apollo.start(),
    stop: () => apollo.stop(),
  };
}

/** The body and query string Apollo Server gets: the operations as the policies left them (a GET's persisted id resolved into its query). */
function apolloRequest(exchange: Exchange): { body: unknown; search: string } {
  const ops = exchange.operations;
  if (exchange.req.method !== 'GET') {
    if (!ops) return { body: exchange.body, search: exchange.search };
    return { body: exchange.batch ? ops : ops[0], search: exchange.search };
  }
  if (!ops) return { body: undefined, search: exchange.search };
  const params = new URLSearchParams(exchange.search);
  const query = ops[0]?.['query'];
  if (typeof query === 'string') params.set('query', query);
  params.delete('extensions');
  return { body: undefined, search: `?${params.toString()}` };
}
