import { context, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry tracing for the ingest. Each event's span continues the producer's
 * trace from the W3C `traceparent` Kafka header, so a trace started in the source app
 * runs through Phoenix. Where spans go is the deployment's choice:
 * - `otlpEndpoint` (OTEL_EXPORTER_OTLP_* in environment.ts): OTLP/HTTP with JSON bodies, in batches
 *   (thousands of events a second would be thousands of requests one by one);
 * - `exporter`: exported one by one as they end (tests: an in-memory exporter);
 * - neither: spans are created (their trace ids are in the logs) and dropped.
 */
export function createTracing(options: { serviceName: string; exporter?: SpanExporter; otlpEndpoint?: string }) {
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  if (options.otlpEndpoint)
    processors.push(
      // Bounded: when the collector is away, spans beyond the queue are dropped, never the events.
      new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpEndpoint, timeoutMillis: 5_000 }), {
        maxQueueSize: 16_384,
        maxExportBatchSize: 2_048,
        scheduledDelayMillis: 1_000,
      }),
    );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: processors,
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

  /** Flushes what is queued; a collector that is away costs at most the export timeout, never an error. */
  const shutdown = () => provider.shutdown().catch(() => undefined);

  return { tracer, startEventSpan, shutdown };
}

export type Tracing = ReturnType<typeof createTracing>;
