import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import type { DeadLetter } from './redrive';

/** A producer for imports and redrives: idempotent, every send acknowledged by all in-sync replicas. */
export interface Publisher {
  connect(): Promise<void>;
  send(topic: string, messages: Message[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The producer both commands publish with. Idempotent, so the broker drops the
 * duplicates its own retries would create (one batch in flight, acks=all, which the
 * idempotent producer requires). Java's murmur2 partitioner, so a key lands on the
 * partition a Java or Kafka Connect producer would choose.
 */
export function createPublisher(kafka: Kafka): Publisher {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  return {
    connect: () => producer.connect(),
    async send(topic, messages) {
      await producer.send({ topic, messages, acks: -1 });
    },
    disconnect: () => producer.disconnect(),
  };
}

/**
 * Which of `topics` the cluster lacks. Listing topics, unlike asking for a topic's
 * metadata, never auto-creates one on a broker that allows it; and a producer sending to
 * a missing topic would retry for ever rather than fail.
 */
export async function missingTopics(kafka: Kafka, topics: readonly string[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    return topics.filter((t) => !existing.has(t));
  } finally {
    await admin.disconnect();
  }
}

export interface ReadToEndOptions {
  signal?: AbortSignal;
  /** Prefix of the throw-away consumer group's id. */
  groupPrefix?: string;
  /** Fail when no batch arrived for this long (joining the group included); default 30 s. */
  stallTimeoutMs?: number;
}

/**
 * Reads `topic` from the beginning up to the end offsets it has when called, then
 * stops: a bounded read, not a long-running consumer. Messages produced meanwhile are
 * ignored.
 *
 * kafkajs cannot assign partitions by hand, so this joins a consumer group of its own
 * (a random id, so no committed offsets exist and `fromBeginning` applies), never
 * commits, and deletes the group afterwards. A partition is done when a batch reached
 * its end offset; batches made only of transaction markers count too (they do not reach
 * `eachBatch`, hence the END_BATCH_PROCESS listener). `onBatch` runs for one partition
 * batch at a time and is awaited before the next fetch is processed.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onBatch: (messages: DeadLetter[]) => Promise<void>,
  options: ReadToEndOptions = {},
): Promise<void> {
  const { signal } = options;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map<number, bigint>();
    for (const p of offsets) if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high));
    if (ends.size === 0 || signal?.aborted) return;

    const groupId = `${options.groupPrefix ?? 'phoenix-read'}-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
    const pending = new Set(ends.keys());
    let failure: unknown;
    let inProgress: Promise<void> | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const stallMs = options.stallTimeoutMs ?? 30_000;
        let stall = setTimeout(onStall, stallMs);
        function onStall() {
          finish(new Error(`no progress reading ${topic} for ${stallMs / 1000}s; check the broker and that the topic is readable`));
        }
        function finish(error?: unknown) {
          clearTimeout(stall);
          signal?.removeEventListener('abort', onAbort);
          removeEndListener();
          removeCrashListener();
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve();
        }
        function onAbort() {
          finish();
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        const removeEndListener = consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const end = ends.get(payload.partition);
          if (payload.topic !== topic || end === undefined || !pending.has(payload.partition)) return;
          clearTimeout(stall);
          stall = setTimeout(onStall, stallMs);
          if (BigInt(payload.lastOffset) >= end - 1n) {
            pending.delete(payload.partition);
            if (pending.size === 0) finish();
          }
        });
        const removeCrashListener = consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (!payload.restart) finish(payload.error);
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, heartbeat }) => {
              const end = ends.get(batch.partition);
              // Stopped, failed, or past the end: ignore (more fetches may arrive before disconnect).
              if (end === undefined || !pending.has(batch.partition) || failure !== undefined || signal?.aborted) return;
              const letters = batch.messages
                .filter((m) => BigInt(m.offset) < end)
                .map((m): DeadLetter => ({
                  partition: batch.partition,
                  offset: m.offset,
                  key: m.key,
                  value: m.value,
                  headers: m.headers ?? {},
                  timestamp: m.timestamp,
                }));
              inProgress = (async () => {
                if (letters.length > 0) await onBatch(letters);
                await heartbeat();
              })();
              try {
                await inProgress;
              } catch (err) {
                // Not rethrown: kafkajs would re-deliver the batch and onBatch would run twice.
                failure = err;
                finish(err);
              }
            },
          })
          .catch(finish);
      });
    } finally {
      // After an interrupt, let the batch being handled finish before leaving.
      await inProgress?.catch(() => undefined);
      await consumer.disconnect();
      // The group never committed anything; remove it so it does not linger in tools.
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}
