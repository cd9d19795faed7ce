import { performance } from 'node:perf_hooks';
import type { Admin, Kafka, Message } from 'kafkajs';
import { validateEvent, type DomainEvent, type EntityType } from '@phoenix/domain';
import { generateEvents } from '@phoenix/fixtures';

/**
 * The entity types the enricher caches (apps/ingest/src/pipeline/enrichment.ts,
 * REF_TYPES). Feeding their events to `prepare()` fills the cache by write-through,
 * without a single warehouse query.
 */
const REFERENCE_TYPES: ReadonlySet<EntityType> = new Set(['building', 'floor', 'desk', 'room', 'team', 'member']);

export interface Workload {
  /** The messages exactly as produced: key, CloudEvents JSON value, traceparent header. */
  messages: Message[];
  /** The reference-data events of the stream, validated, to warm the enrichment cache. */
  referenceEvents: DomainEvent[];
  bytes: number;
  byEntityType: Record<string, number>;
  generateSeconds: number;
}

/**
 * The first `events` messages of the seeded generator's stream: several tenants, their
 * reference data first, then bookings, check-ins, cancellations and visits day by day.
 * No injected faults, so every message is a valid, distinct event and the phases can
 * be compared event for event.
 */
export function generateWorkload(options: { events: number; tenants: number; seed: number }): Workload {
  const t0 = performance.now();
  const messages: Message[] = [];
  const referenceEvents: DomainEvent[] = [];
  const byEntityType: Record<string, number> = {};
  let bytes = 0;
  // The generator is lazy: a long simulated period is only the upper bound; we stop at `events`.
  for (const m of generateEvents({ seed: options.seed, tenants: options.tenants, days: 3650 })) {
    if (messages.length >= options.events) break;
    messages.push({ key: m.key, value: m.value, headers: { ...m.headers } });
    bytes += Buffer.byteLength(m.value);
    const entityType = m.event?.type.split('.')[1] ?? 'unknown';
    byEntityType[entityType] = (byEntityType[entityType] ?? 0) + 1;
    if (REFERENCE_TYPES.has(entityType as EntityType)) {
      const result = validateEvent(m.value);
      if (result.ok) referenceEvents.push(result.event);
    }
  }
  return { messages, referenceEvents, bytes, byEntityType, generateSeconds: (performance.now() - t0) / 1000 };
}

/**
 * Produces every message once, as an idempotent producer with acks=all, and checks
 * that the topic's high watermarks add up to the count, so each phase can wait for
 * exactly that many messages.
 */
export async function produceAll(kafka: Kafka, admin: Admin, topic: string, messages: Message[]): Promise<{ seconds: number }> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const t0 = performance.now();
  try {
    // 1,000 messages of ~600 bytes stay well below the producer's 1 MB request limit.
    for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  const offsets = await admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  if (total !== messages.length) throw new Error(`topic ${topic} holds ${total} messages, expected ${messages.length}`);
  return { seconds };
}
