import { createTracing } from './tracing';

describe('tracing', () => {
  it('continues the producer trace from traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const tracing = createTracing({ serviceName: 'test' });
    const span = tracing.startEventSpan('ingest event', `00-${traceId}-00f067aa0ba902b7-01`, {});
    expect(span.spanContext().traceId).toBe(traceId);
    span.end();
    await tracing.shutdown();
  });

  it('starts a new trace when the message has no traceparent', async () => {
    const tracing = createTracing({ serviceName: 'test' });
    const span = tracing.startEventSpan('ingest event', undefined, {});
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    span.end();
    await tracing.shutdown();
  });
});
