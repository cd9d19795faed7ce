/**
 * @phoenix/service — what every Phoenix process shares at runtime: JSON logs without
 * personal data, a service (createService: the operational HTTP server with /healthz,
 * /readyz, /metrics and the service's routes, plus graceful shutdown on SIGTERM/SIGINT
 * with ordered closers and a deadline), and the node:http adapter for Apollo Server.
 * Nothing here knows about Kafka or the warehouse.
 */
export { createLogger } from './logger';
export { createServiceHttpServer } from './http-server';
export type { Readiness, ServiceHttpOptions, ServiceHttpServer } from './http-server';
export { graphqlHandler, readBodyText, readJsonBody, writeGraphQLError, HttpGraphQLError } from './graphql-http';
export type { GraphQLHandlerOptions, HttpHandler } from './graphql-http';
export { createShutdown, onShutdownSignals } from './shutdown';
export type { Shutdown, ShutdownOptions } from './shutdown';
export { createService } from './service';
export type { Service, ServiceOptions } from './service';
export { declaredScopes, scopeOf, SCOPE_DIRECTIVE } from './scopes';
export { contextEnvironment, kafkaEnvironment } from './environment';
export type { KafkaConnectionConfig } from './environment';
export { badUserInput, forbidden, formatError, createErrorFormatter, isPublicError, INTERNAL_MESSAGE, PUBLIC_ERROR_CODES } from './errors';
export { apolloLogger, cachedFor } from './probes';
export { createMetricsRegistry } from './metrics';
