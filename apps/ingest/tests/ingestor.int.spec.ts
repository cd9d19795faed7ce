import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { generateEventList, type GeneratedMessage } from '@phoenix/fixtures';
import { createServiceHttpServer } from '@phoenix/service';
import {
  createIngestor,
  createMetrics,
  lanesReadiness,
  reconciliationRoute,
  DEAD_LETTER_HEADERS,
  createEnricher,
  createWarehouseWriter,
  createTracing,
} from '@phoenix/ingest';
import { freshWarehouse, testLogger, uniqueName } from './support/harness';
import { createTopics, deleteTopics, eventually, produce, readAll, testKafka } from './support/kafka';
import { foldStream } from './support/reference-fold';
import { normalise, snapshot } from './support/warehouse-snapshot';

/**
 * One ingest lane end to end, in process: the real broker, the real emulator, the real
 * consumer group — with poison messages in the stream.
 */
describe('ingest lane against Kafka and the emulator', () => {
  const kafka = testKafka();
  const maxBytes = 4096;
  const stream: GeneratedMessage[] = generateEventList({
    seed: 31,
    tenants: 2,
    days: 2,
    buildingsPerTenant: 1,
    floorsPerBuilding: 1,
    desksPerFloor: 4,
    roomsPerFloor: 1,
    membersPerTenant: 6,
    duplicates: 0.05,
    late: 0.05,
    malformed: 0.08,
    maxEventBytes: maxBytes,
  });
  let topics: Record<string, string>;
  let env: Awaited<ReturnType<typeof freshWarehouse>>;

  beforeAll(async () => {
    // One partition: poison messages and the good ones after them share it.
    topics = await createTopics(kafka, { events: 1, deadletter: 1 });
    env = await freshWarehouse('it_ingest_lane');
    await produce(
      kafka,
      topics['events'] as string,
      stream.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
    );
  });

  afterAll(async () => {
    await deleteTopics(kafka, Object.values(topics));
    await env.drop();
  });

  function lane(groupId: string, exporter?: InMemorySpanExporter) {
    const { logger, lines } = testLogger('info');
    const metrics = createMetrics();
    const tracing = createTracing({ serviceName: 'it', ...(exporter ? { exporter } : {}) });
    const writer = createWarehouseWriter({
      warehouse: env.warehouse,
      metrics,
      logger,
      enricher: createEnricher({ warehouse: env.warehouse }),
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const ingestor = createIngestor({
      kafka,
      producer,
      writer,
      metrics,
      tracing,
      logger,
      config: {
        lane: 'live',
        groupId,
        topics: [topics['events'] as string],
        deadLetterTopic: topics['deadletter'] as string,
        maxEventBytes: maxBytes,
        maxBatchMessages: 100,
      },
    });
    return { ingestor, producer, metrics, lines };
  }

  const consumedOf = (reconciliation: Record<string, { consumed: number }>) =>
    Object.values(reconciliation).reduce((n, p) => n + p.consumed, 0);

  it('applies good events, dead-letters poison messages with their reason, and accounts for every message', async () => {
    const exporter = new InMemorySpanExporter();
    const { ingestor, producer, metrics, lines } = lane(uniqueName('it-lane'), exporter);
    await producer.connect();
    const lanes = { live: ingestor };
    const http = createServiceHttpServer({
      port: 0,
      registry: metrics.registry,
      logger: testLogger().logger,
      readiness: lanesReadiness(lanes),
      routes: { '/reconciliation': reconciliationRoute(lanes) },
    });
    const port = await http.listen();
    try {
      await ingestor.start();
      await eventually(() => consumedOf(ingestor.reconciliation()) >= stream.length, 'every message consumed');

      const expected = normalise(foldStream(stream, maxBytes));
      expect(await snapshot(env.warehouse)).toEqual(expected);

      // Reconciliation per partition, and over the whole stream.
      const [partition] = Object.values(ingestor.reconciliation());
      expect(partition).toMatchObject({ consumed: stream.length, dead_lettered: expected.deadLetters, balanced: true });
      expect(partition?.duplicate).toBe(stream.filter((m) => m.kind === 'duplicate').length);

      // The dead-letter topic holds the original bytes, with the reason and the source position.
      const malformed = stream.filter((m) => m.kind === 'malformed');
      const dead = await readAll(kafka, topics['deadletter'] as string, malformed.length);
      expect(dead.map((d) => d.value?.toString()).sort()).toEqual(malformed.map((m) => m.value).sort());
      for (const d of dead) {
        const original = malformed.find((m) => m.value === d.value?.toString());
        expect(d.headers[DEAD_LETTER_HEADERS.reason]).toBe(original?.expectedProblem?.code);
        expect(d.headers[DEAD_LETTER_HEADERS.sourceTopic]).toBe(topics['events']);
        expect(d.headers['traceparent']).toBe(original?.headers['traceparent']);
      }
      // Operational surface.
      const metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metricsText).toMatch(/phoenix_ingest_events_total\{outcome="dead_lettered"/);
      expect(metricsText).toMatch(/phoenix_ingest_dead_letters_total\{reason="MALFORMED_JSON"|phoenix_ingest_dead_letters_total\{reason="/);
      expect(metricsText).toMatch(/phoenix_ingest_warehouse_write_duration_seconds_bucket/);
      expect(metricsText).toMatch(/phoenix_ingest_consumer_lag\{topic=/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(
        ((await (await fetch(`http://127.0.0.1:${port}/reconciliation`)).json()) as { live: Record<string, { balanced: boolean }> }).live,
      ).toEqual({
        [`${topics['events']}/0`]: expect.objectContaining({ balanced: true }),
      });

      // Spans continue the producer's trace, for applied and refused messages alike.
      const traceOf = (m: GeneratedMessage) => m.headers['traceparent']?.split('-')[1];
      const producerTraces = new Set(stream.map(traceOf));
      const spans = exporter.getFinishedSpans();
      expect(spans).toHaveLength(stream.length);
      expect(spans.every((s) => producerTraces.has(s.spanContext().traceId))).toBe(true);
      const refused = spans.filter((s) => s.attributes['phoenix.reason'] !== undefined);
      expect(refused.map((s) => s.spanContext().traceId).sort()).toEqual(malformed.map(traceOf).sort());
      expect(refused.every((s) => s.attributes['phoenix.outcome'] === 'dead_lettered')).toBe(true);
      // The dead-letter log line names the producer's trace.
      const deadLines = lines.filter((l) => l.includes('message dead-lettered'));
      expect(deadLines).toHaveLength(malformed.length);
      expect(deadLines.every((l) => producerTraces.has((JSON.parse(l) as { traceId?: string }).traceId))).toBe(true);

      // Logs: ids in fields, no personal data.
      const text = lines.join('');
      expect(text).toContain('"reason":');
      for (const m of stream.filter((x) => x.event?.type.startsWith('phoenix.member.'))) {
        expect(text).not.toContain((m.event?.data as { email: string }).email);
      }
    } finally {
      await ingestor.stop();
      await producer.disconnect();
      await http.close();
    }
  });

  it('replaying the topic from offset 0 with a new group leaves every table as it was', async () => {
    const before = await snapshot(env.warehouse);
    const { ingestor, producer } = lane(uniqueName('it-replay'));
    await producer.connect();
    try {
      await ingestor.start();
      await eventually(() => consumedOf(ingestor.reconciliation()) >= stream.length, 'the replay consumed');
      expect(await snapshot(env.warehouse)).toEqual(before);
      const [partition] = Object.values(ingestor.reconciliation());
      // Every event was recorded from this very position: it counts under its recorded
      // outcome and as redelivered (docs/ingest.md, Accounting); the stream's own re-sent
      // copies stay duplicates, as on the first pass.
      expect(partition).toMatchObject({ balanced: true });
      expect(partition?.redelivered).toBe((partition?.applied ?? 0) + (partition?.superseded ?? 0));
    } finally {
      await ingestor.stop();
      await producer.disconnect();
    }
  });

  it('is ready as a standby member too: with more instances than partitions, the one without partitions answers ready', async () => {
    const group = uniqueName('it-standby');
    const first = lane(group);
    const second = lane(group);
    await Promise.all([first.producer.connect(), second.producer.connect()]);
    try {
      await first.ingestor.start();
      await second.ingestor.start();
      // Ready alone is not settled: readiness holds through a rebalance (a grace), so wait
      // until the one partition has exactly one holder.
      const holders = () => first.ingestor.readiness().assignedPartitions + second.ingestor.readiness().assignedPartitions;
      await eventually(
        () => first.ingestor.readiness().ready && second.ingestor.readiness().ready && holders() === 1,
        'both members of the group ready after the rebalance, one holding the partition',
      );
      // One partition: one member holds it, the other waits for a rebalance.
      const held = [first, second].map((l) => l.ingestor.readiness().assignedPartitions).sort();
      expect(held).toEqual([0, 1]);
      await first.ingestor.stop();
      expect(first.ingestor.readiness()).toMatchObject({ ready: false, joined: false });
      // The standby takes the partition over.
      await eventually(
        () => second.ingestor.readiness().assignedPartitions === 1 && second.ingestor.readiness().ready,
        'the standby took over',
      );
    } finally {
      await Promise.all([first.ingestor.stop(), second.ingestor.stop()]);
      await Promise.all([first.producer.disconnect(), second.producer.disconnect()]);
    }
  });
});
