import type { Kafka, Message } from 'kafkajs';
import { loadEnvironment } from '../../src/environment';
import { createKafka } from '@phoenix/ingest';
import { testLogger, uniqueName } from './harness';

/** A Kafka client for tests, on the local broker the global setup started. */
export function testKafka(): Kafka {
  return createKafka({ ...loadEnvironment(process.env).kafka, clientId: uniqueName('it') }, testLogger('error').logger);
}

/** Creates uniquely named topics (auto-creation is off) and returns their names; a spec is a partition count, or that with topic configs. */
export async function createTopics(
  kafka: Kafka,
  specs: Record<string, number | { partitions: number; configs: Record<string, string> }>,
): Promise<Record<string, string>> {
  const names = Object.fromEntries(Object.keys(specs).map((k) => [k, uniqueName(`it.${k}`)]));
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: Object.entries(specs).map(([k, spec]) => ({
      topic: names[k] as string,
      numPartitions: typeof spec === 'number' ? spec : spec.partitions,
      ...(typeof spec === 'number' ? {} : { configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })) }),
    })),
    waitForLeaders: true,
  });
  await admin.disconnect();
  return names;
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, messages: messages.slice(i, i + 500) });
  await producer.disconnect();
}

/** Reads every message currently on a topic (from a throwaway group). */
export async function readAll(kafka: Kafka, topic: string, expected: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId: uniqueName('it-reader'), maxWaitTimeInMs: 100 });
  const seen: { key: string | null; value: Buffer | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen.length}/${expected} messages from ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
          seen.push({ key: message.key?.toString() ?? null, value: message.value, headers });
          if (seen.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Polls until `check` returns true or the time is up. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}
