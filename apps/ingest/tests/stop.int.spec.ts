import { type Decoded, type WrittenBatch } from '@phoenix/ingest';
import { createTopics, deleteTopics, eventually, produce, testKafka } from './support/kafka';
import { testLane } from './support/lane';

/**
 * Stopping a lane against the real broker: a chunk whose write completes after stop()
 * began is still committed (kafkajs's consumer.commitOffsets does nothing once the
 * consumer stops; the lane commits through the batch), and nothing past a chunk that
 * was not written is.
 */
describe('a stopping lane', () => {
  const kafka = testKafka();
  let topics: Record<string, string>;

  beforeAll(async () => {
    topics = await createTopics(kafka, { events: 1, deadletter: 1 });
  });
  afterAll(() => deleteTopics(kafka, Object.values(topics)));

  it('commits the chunk written while it stops, and not the one after it', async () => {
    // Two chunks of 5; each write waits for the test to settle it.
    const pending: { batch: readonly Decoded[]; settle: (ok: boolean) => void }[] = [];
    const writer = {
      write: (batch: readonly Decoded[]) =>
        new Promise<WrittenBatch>((resolve, reject) =>
          pending.push({
            batch,
            settle: (ok) => (ok ? resolve({ outcomes: batch.map(() => 'dead_lettered' as const) }) : reject(new Error('warehouse away'))),
          }),
        ),
    };
    const group = `it-stop-${topics['events']}`;
    const lane = testLane({
      kafka,
      writer,
      topics: topics as { events: string; deadletter: string },
      maxEventBytes: 4096,
      config: { groupId: group, maxBatchMessages: 5 },
    });
    await produce(
      kafka,
      topics['events'] as string,
      Array.from({ length: 10 }, (_, i) => ({ value: `not json ${i}` })),
    );
    await lane.start();
    await eventually(() => pending.length === 2, 'both chunks handed to the writer');

    // The chunks publish their dead letters concurrently, so either may reach the writer first.
    const chunkAt = (offset: string) => pending.find((p) => p.batch[0]?.message.offset === offset);
    const stopped = lane.stop();
    chunkAt('0')?.settle(true); // written after stop() began
    chunkAt('5')?.settle(false); // never written
    await stopped;

    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topics['events'] as string] });
      expect(offsets?.partitions).toEqual([{ partition: 0, offset: '5', metadata: null }]);
    } finally {
      await admin.disconnect();
    }
  });
});
