/**
 * Composition root of subgraph-bookings: configuration → logger, metrics, warehouse →
 * the subgraph server with its reference cache → graceful shutdown (runSubgraph).
 */
import { runSubgraph } from '@phoenix/subgraph';
import { loadEnvironment } from './environment';
import { createBookingsSubgraph } from './subgraph';

runSubgraph('subgraph-bookings', loadEnvironment, (env, deps) =>
  createBookingsSubgraph({ ...deps, contextKeys: env.context, http: env.http, cache: env.cache }),
);
