import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTracing } from '@phoenix/ingest';

/** A local OTLP/HTTP receiver (a collector stand-in): records every request's path, content type and body. */
async function receiver() {
  const requests: { path: string; contentType: string; body: Buffer }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, requests, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Span export over OTLP/HTTP to a real HTTP server on localhost (an integration test: the
 * exporter loads its HTTP transport with a dynamic import, which Jest runs only with
 * --experimental-vm-modules, as the integration target does).
 */
describe('tracing: OTLP export', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

  it('exports spans over OTLP/HTTP to the configured endpoint, in the producer trace, with the service name', async () => {
    const otlp = await receiver();
    try {
      const tracing = createTracing({ serviceName: 'phoenix-ingest-test', otlpEndpoint: otlp.url });
      for (let i = 0; i < 3; i++) tracing.startEventSpan('ingest event', traceparent, { 'messaging.kafka.offset': i }).end();
      // Shutdown flushes the batch.
      await tracing.shutdown();
      expect(otlp.requests).toHaveLength(1);
      const [request] = otlp.requests;
      expect(request?.path).toBe('/v1/traces');
      expect(request?.contentType).toBe('application/json');
      const body = JSON.parse(String(request?.body)) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: { traceId: string; name: string }[] }[];
        }[];
      };
      const [resourceSpans] = body.resourceSpans;
      expect(resourceSpans?.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'phoenix-ingest-test' } });
      const spans = resourceSpans?.scopeSpans.flatMap((s) => s.spans) ?? [];
      expect(spans).toHaveLength(3);
      expect(spans.every((s) => s.traceId === traceId && s.name === 'ingest event')).toBe(true);
    } finally {
      await otlp.close();
    }
  });

  it('keeps going when the collector is unreachable (spans are dropped, nothing throws)', async () => {
    const otlp = await receiver();
    await otlp.close(); // nothing listens on that port any more
    const tracing = createTracing({ serviceName: 'test', otlpEndpoint: otlp.url });
    tracing.startEventSpan('ingest event', traceparent, {}).end();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  });
});
