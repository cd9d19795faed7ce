import { context, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, type SpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry tracing for the ingest. Each event's span continues the producer's
 * trace from the W3C `traceparent` Kafka header, so a trace started in the source app
 * runs through Phoenix. Exporting is the deployment's choice: pass an exporter
 * (OTLP in production, in-memory in tests); without one spans are created and dropped.
 */
export function createTracing(options: { serviceName: string; exporter?: SpanExporter }) {
  const provider = new BasicTracerProvider({
    spanProcessors: options.exporter ? [new SimpleSpanProcessor(options.exporter)] : [],
  });
  const propagator = new W3CTraceContextPropagator();
  const tracer: Tracer = provider.getTracer(options.serviceName);

  /** The context carried by a `traceparent` header, or the empty context. */
  function extract(traceparent: string | undefined): Context {
    if (!traceparent) return context.active();
    return propagator.extract(
      context.active(),
      { traceparent },
      { get: (carrier, key) => carrier[key as 'traceparent'], keys: (c) => Object.keys(c) },
    );
  }

  /** Starts a span for one event as a child of the producer's span. */
  function startEventSpan(name: string, traceparent: string | undefined, attributes: Record<string, string | number>): Span {
    return tracer.startSpan(name, { attributes }, extract(traceparent));
  }

  return { tracer, startEventSpan, shutdown: () => provider.shutdown() };
}

export type Tracing = ReturnType<typeof createTracing>;
