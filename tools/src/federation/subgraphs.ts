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
  /** Where the resolver types generated from the SDL go (resolver-types.ts). */
  resolverTypesPath: string;
  /** graphql-codegen settings of this subgraph: mappers from GraphQL types to its own objects, scalars. */
  codegen: Record<string, unknown>;
}

export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

export const SUBGRAPHS: readonly SubgraphSource[] = [
  {
    name: 'bookings',
    sdlPath: 'apps/subgraph-bookings/src/schema.graphql',
    url: 'http://127.0.0.1:4001/graphql',
    resolverTypesPath: 'apps/subgraph-bookings/src/generated/resolver-types.ts',
    codegen: { scalars: { DateTime: 'string', Date: 'string' } },
  },
  {
    name: 'audit',
    sdlPath: 'apps/subgraph-audit/src/schema.graphql',
    url: 'http://127.0.0.1:4002/graphql',
    resolverTypesPath: 'apps/subgraph-audit/src/generated/resolver-types.ts',
    codegen: { scalars: { DateTime: 'string', Date: 'string' } },
  },
  {
    name: 'commands',
    sdlPath: 'apps/subgraph-commands/src/schema.graphql',
    url: 'http://127.0.0.1:4003/graphql',
    resolverTypesPath: 'apps/subgraph-commands/src/generated/resolver-types.ts',
    codegen: { scalars: { JSON: 'unknown' } },
  },
];

/** Where the composed supergraph is checked in: the gateway loads it at start. */
export const SUPERGRAPH_PATH = 'apps/gateway/src/supergraph.graphql';
