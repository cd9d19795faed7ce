/**
 * Composition root of subgraph-audit: configuration → logger, metrics, warehouse →
 * the subgraph server with its change-feed watermark → graceful shutdown (runSubgraph).
 */
import { runSubgraph } from '@phoenix/subgraph';
import { loadEnvironment } from './environment';
import { createAuditSubgraph } from './subgraph';

runSubgraph('subgraph-audit', loadEnvironment, (env, deps) =>
  createAuditSubgraph({ ...deps, contextKeys: env.context, http: env.http, changeFeed: env.changeFeed }),
);
