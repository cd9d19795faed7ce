/**
 * @phoenix/service — what every Phoenix process shares at runtime: JSON logs without
 * personal data, the operational HTTP server (/healthz, /readyz, /metrics), the
 * node:http adapter for Apollo Server, and graceful shutdown on SIGTERM/SIGINT.
 * Nothing here knows about Kafka or the warehouse.
 */
export { createLogger } from './logger';
export { createServiceHttpServer } from './http-server';
export type { Readiness, ServiceHttpOptions, ServiceHttpServer } from './http-server';
export { graphqlHandler, readJsonBody, writeGraphQLError, HttpGraphQLError } from './graphql-http';
export type { GraphQLHandlerOptions, HttpHandler } from './graphql-http';
export { onShutdownSignals } from './shutdown';
export { declaredScopes, scopeOf, SCOPE_DIRECTIVE } from './scopes';
export { contextEnvironment } from './environment';
export { badUserInput, forbidden, formatError, createErrorFormatter, isPublicError, INTERNAL_MESSAGE, PUBLIC_ERROR_CODES } from './errors';
export { apolloLogger, cachedFor } from './probes';
