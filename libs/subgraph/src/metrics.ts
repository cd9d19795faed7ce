import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A subgraph's Prometheus metrics on its own registry, labelled with the service name. */
export function createSubgraphMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'phoenix_subgraph_process_' });
  return {
    registry,
    requests: new Counter({
      name: 'phoenix_subgraph_requests_total',
      help: 'GraphQL requests by outcome (ok, error: some field failed, refused: never executed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'phoenix_subgraph_request_duration_seconds',
      help: 'GraphQL request duration, from parsing to the response',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    resolverSeconds: new Histogram({
      name: 'phoenix_subgraph_resolver_duration_seconds',
      help: 'Duration of resolvers that do work (not plain field reads), by Type.field',
      labelNames: ['field'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    querySeconds: new Histogram({
      name: 'phoenix_subgraph_warehouse_query_duration_seconds',
      help: 'Duration of one warehouse read, by query name',
      labelNames: ['query'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queriesPerRequest: new Histogram({
      name: 'phoenix_subgraph_warehouse_queries_per_request',
      help: 'Warehouse reads per GraphQL request (DataLoader batching keeps this at one per entity type)',
      buckets: [0, 1, 2, 3, 5, 8, 13, 21, 34],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'phoenix_subgraph_errors_total',
      help: 'GraphQL errors answered, by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'phoenix_subgraph_reference_cache_lookups_total',
      help: 'Reference-entity cache lookups, by entity type and result (hit, miss)',
      labelNames: ['entity_type', 'result'] as const,
      registers: [registry],
    }),
  };
}

export type SubgraphMetrics = ReturnType<typeof createSubgraphMetrics>;
