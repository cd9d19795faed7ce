import { createMetricsRegistry } from './metrics';

describe('createMetricsRegistry', () => {
  it('declares prefixed metrics on a registry of their own, beside the process metrics', async () => {
    const a = createMetricsRegistry('phoenix_test_');
    const b = createMetricsRegistry('phoenix_test_');
    a.counter('events_total', 'Events', ['outcome']).inc({ outcome: 'applied' });
    a.gauge('lag', 'Lag').set(3);
    a.histogram('batch_size', 'Batch size', [1, 10], ['topic']).observe({ topic: 't' }, 5);
    const text = await a.registry.metrics();
    expect(text).toContain('phoenix_test_events_total{outcome="applied"} 1');
    expect(text).toContain('phoenix_test_lag 3');
    expect(text).toContain('phoenix_test_batch_size_bucket{le="10",topic="t"} 1');
    expect(text).toMatch(/^phoenix_test_process_\w*cpu_user_seconds_total /m);
    // Same names on another registry: no collision.
    expect(() => b.counter('events_total', 'Events')).not.toThrow();
  });
});
