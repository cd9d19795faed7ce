import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Apigee Analytics, as Prometheus metrics: per consumer and operation, request count by
 * HTTP status, errors by code, latency; plus refusals by policy and subgraph latency.
 * Operation names come from clients, so only the first `maxOperations` distinct names
 * get their own label value (the rest count as "other"): a label must stay bounded.
 */
export function createGatewayMetrics(options: { maxOperations?: number } = {}) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'gateway' });
  collectDefaultMetrics({ register: registry, prefix: 'phoenix_gateway_process_' });
  const operations = new Set<string>();
  const maxOperations = options.maxOperations ?? 500;
  return {
    registry,
    /** The label value for an operation name. */
    operationLabel(name: string | null): string {
      if (!name) return 'anonymous';
      const clean = name.slice(0, 100);
      if (operations.has(clean)) return clean;
      if (operations.size >= maxOperations) return 'other';
      operations.add(clean);
      return clean;
    },
    requests: new Counter({
      name: 'phoenix_gateway_requests_total',
      help: 'Requests by consumer, operation and HTTP status',
      labelNames: ['consumer', 'operation', 'status'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'phoenix_gateway_errors_total',
      help: 'GraphQL errors answered, by consumer and code',
      labelNames: ['consumer', 'code'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'phoenix_gateway_request_duration_seconds',
      help: 'Request latency by consumer and operation, from the first byte to the response',
      labelNames: ['consumer', 'operation'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'phoenix_gateway_refused_total',
      help: 'Requests refused by a policy before execution (auth, rate limit, limits, safelist, CORS), by consumer and code',
      labelNames: ['consumer', 'code'] as const,
      registers: [registry],
    }),
    subgraphDuration: new Histogram({
      name: 'phoenix_gateway_subgraph_request_duration_seconds',
      help: 'Subgraph fetch latency by subgraph and outcome',
      labelNames: ['subgraph', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    supergraphLoads: new Counter({
      name: 'phoenix_gateway_supergraph_loads_total',
      help: 'Supergraph loads and reloads by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
