import { createMetrics, type Decoded, type WrittenBatch } from '@phoenix/ingest';
import { createTopics, deleteTopics, eventually, produce, testKafka } from './support/kafka';
import { testLane } from './support/lane';

/**
 * The consumer lag gauge against the real broker while the warehouse is stalled: the
 * lane neither fetches nor commits then, and lag is exactly what an operator must see
 * grow. The writer here is a gate the test opens: a stalled warehouse, as far as the
 * lane can tell (the outage test in resilience.int.spec.ts stops the real emulator).
 */
describe('consumer lag while the warehouse stalls', () => {
  const kafka = testKafka();
  let topics: Record<string, string>;

  beforeAll(async () => {
    topics = await createTopics(kafka, { events: 1, deadletter: 1 });
  });
  afterAll(() => deleteTopics(kafka, Object.values(topics)));

  it('grows with what is produced during the stall, and falls to 0 once the writes go through', async () => {
    const metrics = createMetrics();
    let open = false;
    const writer = {
      async write(batch: readonly Decoded[]): Promise<WrittenBatch> {
        while (!open) await new Promise((r) => setTimeout(r, 50));
        return { outcomes: batch.map(() => 'dead_lettered' as const) };
      },
    };
    const lane = testLane({
      kafka,
      writer,
      metrics,
      topics: topics as { events: string; deadletter: string },
      maxEventBytes: 4096,
      config: { lagRefreshMs: 300 },
    });
    const lagOf = async () => (await metrics.lag.get()).values.find((v) => v.labels['topic'] === topics['events'])?.value;
    // Not JSON: every message is a dead letter, which keeps the test about lag alone.
    const messages = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ value: `not json ${from + i}` }));
    try {
      await produce(kafka, topics['events'] as string, messages(10, 0));
      await lane.start();
      await eventually(async () => (await lagOf()) === 10, 'lag 10 while the first batch is stuck in the writer');
      await produce(kafka, topics['events'] as string, messages(25, 10));
      await eventually(async () => (await lagOf()) === 35, 'lag 35: the stall holds everything produced since');
      open = true;
      await eventually(async () => (await lagOf()) === 0, 'lag 0 once written and committed');
      // …and 0 because everything is committed, not because an old high watermark said so.
      const admin = kafka.admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId: lane.groupId, topics: [topics['events'] as string] });
      await admin.disconnect();
      expect(offsets?.partitions.map((p) => p.offset)).toEqual(['35']);
    } finally {
      open = true;
      await lane.stop();
    }
    // A stopped lane holds no partition: its series are gone.
    expect(await lagOf()).toBeUndefined();
  });
});
