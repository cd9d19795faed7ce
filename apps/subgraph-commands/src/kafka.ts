import { readFileSync } from 'node:fs';
import { Kafka, logLevel as KafkaLogLevel, Partitioners, type KafkaConfig, type PartitionMetadata, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConnectionConfig } from '@phoenix/service';

/** How to reach the brokers: plaintext locally, SASL over TLS in production. */
export type { KafkaConnectionConfig };

/** One record for the event log: the envelope's JSON text, keyed by tenant and entity like every other producer. */
export interface LogRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Where Kafka put a record: the receipt's position. Offsets are strings (they exceed 2^53). */
export interface LogPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** The log is slow or down: nothing was acknowledged, the caller may retry (with the same idempotency key). */
export class EventLogUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventLogUnavailableError';
  }
}

export interface EventLog {
  connect(): Promise<void>;
  /**
   * Appends records and resolves once every in-sync replica has them (acks=all, idempotent
   * producer), with each record's position in input order. Rejects with
   * EventLogUnavailableError after `timeoutMs`; the records may still land later, which a
   * retry with the same event ids makes harmless (the ingest records an event id once).
   */
  append(records: readonly LogRecord[]): Promise<LogPosition[]>;
  readiness(): { ready: boolean; kafka: string };
  disconnect(): Promise<void>;
}

export function createEventLog(deps: {
  config: KafkaConnectionConfig;
  topic: string;
  timeoutMs: number;
  logger: Logger;
  /** Opens broker connections (tests route them through a proxy they can cut); kafkajs's own by default. */
  socketFactory?: KafkaConfig['socketFactory'];
}): EventLog {
  const { config, topic, timeoutMs, logger } = deps;
  const kafkaConfig: KafkaConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    // A request the broker does not answer fails within the write's own bound.
    requestTimeout: timeoutMs,
    // Retries stay inside the write's bound; the caller's retry (same ids) is the outer loop.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: Math.max(200, Math.floor(timeoutMs / 4)) },
    logLevel: KafkaLogLevel.WARN,
    ...(deps.socketFactory ? { socketFactory: deps.socketFactory } : {}),
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      logger.warn({ component: 'kafkajs', ...extra }, message);
    },
  };
  if (config.ssl) {
    kafkaConfig.ssl = {
      rejectUnauthorized: config.ssl.rejectUnauthorized,
      ...(config.ssl.caFile ? { ca: [readFileSync(config.ssl.caFile, 'utf8')] } : {}),
    };
  }
  if (config.sasl) kafkaConfig.sasl = { ...config.sasl } as KafkaConfig['sasl'];
  const kafka = new Kafka(kafkaConfig);
  // kafkajs requires one request in flight for the idempotent producer (its sequence numbers).
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  // Records are given their partition here, with kafkajs's own default partitioner (murmur2, as
  // the Java client), so each record's offset in the receipt is known: base offset + its rank.
  const partition = Partitioners.DefaultPartitioner();
  let partitions: PartitionMetadata[] = [];
  let lastError: string | null = null;

  const loadPartitions = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      partitions = metadata.topics[0]?.partitions ?? [];
      if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions`);
    } finally {
      await admin.disconnect();
    }
  };

  return {
    async connect() {
      await loadPartitions();
      await producer.connect();
    },
    async append(records) {
      if (records.length === 0) return [];
      const placed = records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        partition: partition({ topic, partitionMetadata: partitions, message: { key: r.key, value: r.value } }),
      }));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new EventLogUnavailableError(`Kafka did not acknowledge within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const result = await Promise.race([producer.send({ topic, acks: -1, timeout: timeoutMs, messages: placed }), deadline]);
        lastError = null;
        // One entry per partition with the base offset of its records, which keep their input order.
        const next = new Map<number, bigint>();
        for (const r of result) next.set(r.partition, BigInt(r.baseOffset ?? '0'));
        return placed.map((record) => {
          const offset = next.get(record.partition);
          if (offset === undefined) throw new Error(`Kafka answered no offset for partition ${record.partition}`);
          next.set(record.partition, offset + 1n);
          return { topic, partition: record.partition, offset: offset.toString() };
        });
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        if (err instanceof EventLogUnavailableError) throw err;
        throw new EventLogUnavailableError(`Kafka refused the write: ${lastError}`);
      } finally {
        clearTimeout(timer);
      }
    },
    readiness: () => ({ ready: lastError === null, kafka: lastError === null ? 'ok' : `last write failed: ${lastError}` }),
    disconnect: () => producer.disconnect(),
  };
}
