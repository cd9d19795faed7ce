import { freshWarehouse } from './support/harness';
import { createTopics, deleteTopics, eventually, testKafka } from './support/kafka';
import { testLane } from './support/lane';

jest.setTimeout(120_000);

/**
 * /readyz of a lane through a consumer-group rebalance: a member that was joined stays
 * ready while the group rebalances (within the grace), so adding an instance does not
 * take the others out of service.
 */
describe('readiness through a rebalance', () => {
  const kafka = testKafka();
  let topics: Record<string, string>;
  let env: Awaited<ReturnType<typeof freshWarehouse>>;

  beforeAll(async () => {
    topics = await createTopics(kafka, { events: 2, deadletter: 1 });
    env = await freshWarehouse('it_readiness');
  });

  afterAll(async () => {
    await deleteTopics(kafka, Object.values(topics));
    await env.drop();
  });

  const lane = (groupId: string, rebalanceGraceMs?: number) =>
    testLane({
      kafka,
      writer: env.writer,
      topics: { events: topics['events'] as string, deadletter: topics['deadletter'] as string },
      maxEventBytes: 4096,
      config: { groupId, ...(rebalanceGraceMs !== undefined ? { rebalanceGraceMs } : {}) },
    });

  /** Starts a second member while sampling the first one's readiness every 5 ms; returns the samples. */
  async function joinSecond(first: ReturnType<typeof lane>, second: ReturnType<typeof lane>) {
    const samples: { ready: boolean; joined: boolean }[] = [];
    const sampler = setInterval(() => samples.push(first.ingestor.readiness()), 5);
    try {
      await second.start();
      await eventually(
        () => first.ingestor.readiness().assignedPartitions === 1 && second.ingestor.readiness().assignedPartitions === 1,
        'the partitions shared after the rebalance',
      );
    } finally {
      clearInterval(sampler);
    }
    return samples;
  }

  it('stays ready while the group rebalances to a new member', async () => {
    const group = `it-ready-${Date.now()}`;
    const first = lane(group);
    const second = lane(group);
    try {
      await first.start();
      await eventually(
        () => first.ingestor.readiness().ready && first.ingestor.readiness().assignedPartitions === 2,
        'the first member ready',
      );
      const samples = await joinSecond(first, second);
      // The rebalance happened (the member left its assignment for a while) ...
      expect(samples.some((s) => !s.joined)).toBe(true);
      // ... and readiness never dropped.
      expect(samples.filter((s) => !s.ready)).toEqual([]);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('is not ready when a rebalance outlasts the grace', async () => {
    const group = `it-ready-grace-${Date.now()}`;
    const first = lane(group, 0);
    const second = lane(group, 0);
    try {
      await first.start();
      await eventually(
        () => first.ingestor.readiness().ready && first.ingestor.readiness().assignedPartitions === 2,
        'the first member ready',
      );
      const samples = await joinSecond(first, second);
      expect(samples.some((s) => !s.joined && !s.ready)).toBe(true);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
