import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A service's Prometheus registry (its own, so tests and several instances in one
 * process do not collide) with the process metrics under `<prefix>process_`, and
 * one-line declarations of the service's metrics on it.
 */
export function createMetricsRegistry(prefix: string) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `${prefix}process_` });
  return {
    registry,
    counter: <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name: `${prefix}${name}`, help, labelNames, registers: [registry] }),
    gauge: <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Gauge<L>({ name: `${prefix}${name}`, help, labelNames, registers: [registry] }),
    histogram: <L extends string = never>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []) =>
      new Histogram<L>({ name: `${prefix}${name}`, help, labelNames, buckets, registers: [registry] }),
  };
}
