import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { generateEventList } from '@phoenix/fixtures';
import { loadEnvironment } from '../src/environment';
import { createKafka } from '@phoenix/ingest';
import { createLogger } from '@phoenix/service';

/**
 * The broker contract the ingest pipeline relies on, against the real local broker:
 * produce, consume in a consumer group, commit offsets only when we say so, and resume
 * from the committed offsets after a reconnect.
 */
describe('kafkajs against the local Kafka broker', () => {
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'warn',
    name: 'ingest-test',
    destination: new Writable({ write: (c, _e, done) => (logLines.push(String(c)), done()) }),
  });
  const { kafka: kafkaConfig } = loadEnvironment(process.env);
  const suffix = randomBytes(4).toString('hex');
  const topic = `it.kafka.${suffix}`;
  const groupId = `it-group-${suffix}`;
  let kafka: Kafka;

  beforeAll(async () => {
    kafka = createKafka({ ...kafkaConfig, clientId: `it-${suffix}` }, logger);
    const admin = kafka.admin();
    await admin.connect();
    // Topics are never auto-created in Phoenix: create this one up front.
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  });

  /** Consumes until `count` messages arrived; commits exactly what was processed if `commit` says so. */
  async function consume(count: number, commit: boolean): Promise<{ values: string[]; consumer: Consumer }> {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    const values: string[] = [];
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${values.length}/${count} messages arrived`)), 30_000);
        consumer
          .run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
              let lastProcessed: string | undefined;
              for (const message of batch.messages) {
                if (values.length >= count) break;
                values.push(String(message.value));
                resolveOffset(message.offset);
                lastProcessed = message.offset;
              }
              await heartbeat();
              // Offsets follow the work: commit the message after the last one processed, never past it.
              if (commit && lastProcessed !== undefined) {
                await consumer.commitOffsets([
                  { topic: batch.topic, partition: batch.partition, offset: String(Number(lastProcessed) + 1) },
                ]);
              }
              if (values.length >= count) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } catch (err) {
      await consumer.disconnect();
      throw err;
    }
    return { values, consumer };
  }

  it('delivers generated events through a consumer group and resumes from committed offsets after a reconnect', async () => {
    const messages = generateEventList({ seed: 21, tenants: 1, days: 1 }).slice(0, 60);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, messages: messages.slice(0, 40).map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });

    // First session: read everything, commit, disconnect.
    const first = await consume(40, true);
    expect(first.values.sort()).toEqual(
      messages
        .slice(0, 40)
        .map((m) => m.value)
        .sort(),
    );
    await first.consumer.disconnect();

    // New messages while nobody is connected.
    await producer.send({ topic, messages: messages.slice(40).map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
    await producer.disconnect();

    // Second session in the same group: only what was not committed.
    const second = await consume(20, true);
    expect(second.values.sort()).toEqual(
      messages
        .slice(40)
        .map((m) => m.value)
        .sort(),
    );
    await second.consumer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(60);
  });

  it('redelivers messages whose offsets were never committed', async () => {
    const extraTopicMessages = generateEventList({ seed: 22, tenants: 1, days: 1 }).slice(0, 10);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: extraTopicMessages.map((m) => ({ key: m.key, value: m.value })) });
    await producer.disconnect();

    const uncommitted = await consume(10, false);
    await uncommitted.consumer.disconnect();
    const again = await consume(10, true);
    await again.consumer.disconnect();
    expect(again.values.sort()).toEqual(uncommitted.values.sort());
  });

  it('carries the W3C traceparent header from producer to consumer', async () => {
    const [message] = generateEventList({ seed: 23, tenants: 1, days: 1 });
    const headerTopic = `${topic}.headers`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: headerTopic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: headerTopic,
      messages: [{ key: message?.key ?? null, value: message?.value ?? null, headers: message?.headers ?? {} }],
    });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `${groupId}-headers`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [headerTopic], fromBeginning: true });
    const header = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message arrived within 30 s')), 30_000);
      void consumer.run({
        eachMessage: async ({ message: m }) => {
          clearTimeout(timer);
          resolve(String(m.headers?.['traceparent']));
        },
      });
    }).finally(() => consumer.disconnect());
    await admin.deleteTopics({ topics: [headerTopic] });
    await admin.deleteGroups([`${groupId}-headers`]).catch(() => undefined);
    await admin.disconnect();
    expect(header).toBe(message?.headers['traceparent']);
  });
});
