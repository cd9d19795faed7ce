/**
 * @phoenix/subgraph — what both Federation 2 subgraphs are built on: the server (signed
 * context required, errors masked, metrics and logs per request), per-request DataLoaders
 * over a tenant-checked warehouse, Relay pagination with bound cursors, a TTL'd reference
 * cache, the DateTime/Date scalars and the shared environment schemas.
 */
export { createSubgraphServer, loadTypeDefs } from './server';
export type { SubgraphServer, SubgraphServerOptions, SubgraphResolvers } from './server';
export { authenticate, createContext, requireScope } from './context';
export type { SubgraphContext, RequestWarehouse } from './context';
export { badUserInput, forbidden, formatError, INTERNAL_MESSAGE, PUBLIC_ERROR_CODES } from '@phoenix/service';
export { page, connection, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';
export type { Page, PageArgs, Connection, CursorKey } from './pagination';
export { ReferenceCache } from './cache';
export { loaderFor, groupLoaderFor } from './loaders';
export { createSubgraphMetrics } from './metrics';
export type { SubgraphMetrics } from './metrics';
export { DateScalar, DateTimeScalar } from './scalars';
export { subgraphHttpEnvironment } from './environment';
export { enforceScopes } from './scopes';
export { enumValues } from './enums';
export { runSubgraph } from './main';
export type { SubgraphEnvironmentBase } from './main';
