import { connect, type Socket } from 'node:net';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';
import { generateEventList } from '@phoenix/fixtures';
import { loadEnvironment } from '../src/environment';
import { createIngestor, createMetrics, DEAD_LETTER_HEADERS, type WarehouseWriter, createTracing } from '@phoenix/ingest';
import { freshWarehouse, testLogger, uniqueName } from './support/harness';
import { createTopics, deleteTopics, eventually, produce, readAll, testKafka } from './support/kafka';

// A broker outage longer than kafkajs' retries, then a rejoin: about a minute.
jest.setTimeout(240_000);

/**
 * A Kafka client whose network can be cut: every open connection is destroyed and new
 * ones are refused until it is restored. The broker itself keeps running (it is shared);
 * for this client it is an outage.
 */
function cuttableKafka() {
  const { brokers, clientId } = loadEnvironment(process.env).kafka;
  const sockets = new Set<Socket>();
  let cut = false;
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    // A refused connection stands for the broker being away.
    const socket = cut ? connect({ host: '127.0.0.1', port: 1 }) : connect({ host, port }, onConnect);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    return socket;
  };
  const kafka = new Kafka({ brokers, clientId: `${clientId}-${uniqueName('cut')}`, logLevel: logLevel.NOTHING, socketFactory });
  return {
    kafka,
    cut() {
      cut = true;
      // With an error, as a reset connection: kafkajs fails the requests in flight at once.
      for (const s of sockets) s.destroy(Object.assign(new Error('network cut'), { code: 'ECONNRESET' }));
    },
    restore() {
      cut = false;
    },
  };
}

/**
 * Accounting by Kafka offset: a batch written but not committed (the broker went away
 * between the write and the commit) is delivered again; each offset is still counted
 * once, the second delivery shows as `redelivered`, and its dead letters are not
 * published a second time.
 */
describe('a batch delivered again after a broker outage', () => {
  const kafka = testKafka();
  const stream = generateEventList({
    seed: 5,
    tenants: 1,
    days: 1,
    buildingsPerTenant: 1,
    floorsPerBuilding: 1,
    desksPerFloor: 2,
    roomsPerFloor: 1,
    membersPerTenant: 3,
    duplicates: 0.05,
    late: 0,
    malformed: 0.1,
    maxEventBytes: 4096,
  }).slice(0, 80);
  const deadCount = stream.filter((m) => m.kind === 'malformed').length;
  let topics: Record<string, string>;
  let env: Awaited<ReturnType<typeof freshWarehouse>>;

  beforeAll(async () => {
    topics = await createTopics(kafka, { events: 1, deadletter: 1 });
    env = await freshWarehouse('it_redelivery');
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

  it('counts each offset once, shows the redelivery, and files each dead letter once on the topic', async () => {
    expect(deadCount).toBeGreaterThan(0);
    const network = cuttableKafka();
    let writes = 0;
    // The first write lands; right after it the consumer's broker goes away for 20 s,
    // so the commit that follows fails and the batch comes again after the rejoin.
    const writer: Pick<WarehouseWriter, 'write'> = {
      async write(batch) {
        const written = await env.writer.write(batch);
        if (++writes === 1) {
          network.cut();
          setTimeout(() => network.restore(), 20_000);
        }
        return written;
      },
    };
    const metrics = createMetrics();
    const log = testLogger('debug');
    // Dead letters go out through a client of their own, which the outage does not touch.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const ingestor = createIngestor({
      kafka: network.kafka,
      producer,
      writer,
      metrics,
      tracing: createTracing({ serviceName: 'it' }),
      logger: log.logger,
      config: {
        lane: 'live',
        groupId: uniqueName('it-redelivery'),
        topics: [topics['events'] as string],
        deadLetterTopic: topics['deadletter'] as string,
        maxEventBytes: 4096,
        maxBatchMessages: 1000,
      },
    });
    try {
      await ingestor.start();
      const partition = () => ingestor.reconciliation()[`${topics['events']}/0`] as Record<string, number> | undefined;
      await eventually(
        () => writes >= 2 && (partition()?.['consumed'] ?? 0) >= stream.length,
        'the batch written again and committed',
        180_000,
      );

      expect(partition()).toMatchObject({
        consumed: stream.length,
        dead_lettered: deadCount,
        duplicate: stream.filter((m) => m.kind === 'duplicate').length,
        redelivered: stream.length,
        uncommitted: 0,
        balanced: true,
      });
      const counted = (await metrics.events.get()).values.reduce((n, v) => n + v.value, 0);
      expect(counted).toBe(stream.length);
      expect((await metrics.redelivered.get()).values.reduce((n, v) => n + v.value, 0)).toBe(stream.length);

      // Exactly one letter per dead-lettered offset on the dead-letter topic.
      const admin = kafka.admin();
      await admin.connect();
      const [dlq] = await admin.fetchTopicOffsets(topics['deadletter'] as string);
      await admin.disconnect();
      expect(Number(dlq?.high)).toBe(deadCount);
      const letters = await readAll(kafka, topics['deadletter'] as string, deadCount);
      expect(new Set(letters.map((l) => l.headers[DEAD_LETTER_HEADERS.sourceOffset])).size).toBe(deadCount);
    } catch (err) {
      process.stderr.write(`${log.lines.slice(-80).join('')}\n`);
      throw err;
    } finally {
      network.restore();
      await ingestor.stop();
      await producer.disconnect();
    }
  });
});
