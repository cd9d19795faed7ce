import { join } from 'node:path';

/**
 * The subgraphs the supergraph is composed from: name (the gateway routes by it), the
 * SDL file beside the subgraph's resolvers, and the URL the checked-in supergraph names.
 * Deployments override the URLs at runtime (gateway configuration), not here.
 */
export interface SubgraphSource {
  name: string;
  sdlPath: string;
  url: string;
}

export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

export const SUBGRAPHS: readonly SubgraphSource[] = [
  { name: 'bookings', sdlPath: 'apps/subgraph-bookings/src/schema.graphql', url: 'http://127.0.0.1:4001/graphql' },
  { name: 'audit', sdlPath: 'apps/subgraph-audit/src/schema.graphql', url: 'http://127.0.0.1:4002/graphql' },
];

/** Where the composed supergraph is checked in: the gateway loads it at start. */
export const SUPERGRAPH_PATH = 'apps/gateway/src/supergraph.graphql';
