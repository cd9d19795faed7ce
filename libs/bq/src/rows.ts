import type { DomainEvent, EntityType, ValidationProblem } from '@phoenix/domain';
import { ENTITY_COLUMNS } from './schema/tables';

/** One version of an entity as stored in its current and history tables (snake_case columns). */
export type VersionRow = Record<string, unknown> & {
  tenant_id: string;
  id: string;
  deleted: boolean;
  event_id: string;
  event_type: string;
  seq: number | null;
  valid_from: string;
  recorded_at: string;
};

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const FIELD_OF = Object.fromEntries(
  Object.entries(ENTITY_COLUMNS).map(([type, columns]) => [type, columns.map((c) => [c.name, camel(c.name)] as const)]),
) as unknown as { [K in EntityType]: readonly (readonly [column: string, field: string])[] };

/**
 * The row a validated event writes. A tombstone keeps only the keys and NULLs every
 * entity column, so the current row is exactly the latest version whatever order the
 * events arrived in.
 */
export function versionRow(event: DomainEvent, recordedAt: Date | string): VersionRow {
  const row: VersionRow = {
    tenant_id: event.tenantId,
    id: event.entityId,
    deleted: event.tombstone,
    event_id: event.id,
    event_type: event.type,
    seq: event.seq,
    valid_from: event.time,
    recorded_at: typeof recordedAt === 'string' ? recordedAt : recordedAt.toISOString(),
  };
  const data = event.data as unknown as Record<string, unknown>;
  for (const [column, field] of FIELD_OF[event.entityType]) {
    const value = event.tombstone ? null : data[field];
    row[column] = value === undefined ? null : value;
  }
  return row;
}

/** Where a message was read from Kafka. */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string;
}

export type RawEventRow = Record<string, unknown> & { tenant_id: string; event_id: string };

/** The `events_raw` row of an event: the envelope as received and its path through Phoenix. */
export function rawEventRow(
  event: DomainEvent,
  meta: {
    payload: string;
    position: KafkaPosition;
    traceId: string | null;
    receivedAt: string;
    recordedAt: string;
    outcome: 'applied' | 'superseded';
  },
): RawEventRow {
  return {
    tenant_id: event.tenantId,
    event_id: event.id,
    event_type: event.type,
    entity_type: event.entityType,
    entity_id: event.entityId,
    event_time: event.time,
    seq: event.seq,
    source: event.source,
    subject: event.subject,
    payload: meta.payload,
    topic: meta.position.topic,
    kafka_partition: meta.position.partition,
    kafka_offset: Number(meta.position.offset),
    trace_id: meta.traceId,
    received_at: meta.receivedAt,
    recorded_at: meta.recordedAt,
    outcome: meta.outcome,
  };
}

export type DeadLetterRow = Record<string, unknown> & { dead_letter_id: string };

/** The `dead_letters` row of a rejected message: the original bytes and every problem. */
export function deadLetterRow(input: {
  deadLetterId: string;
  problems: readonly ValidationProblem[];
  partial: { tenantId?: string; eventId?: string; type?: string };
  value: Buffer | null;
  key: Buffer | null;
  headers: Record<string, string>;
  position: KafkaPosition;
  receivedAt: string;
}): DeadLetterRow {
  return {
    dead_letter_id: input.deadLetterId,
    tenant_id: input.partial.tenantId ?? null,
    event_id: input.partial.eventId ?? null,
    event_type: input.partial.type ?? null,
    reason_code: input.problems[0]?.code ?? 'UNKNOWN',
    problems: JSON.stringify(input.problems),
    payload: input.value ?? Buffer.alloc(0),
    message_key: input.key,
    headers: JSON.stringify(input.headers),
    topic: input.position.topic,
    kafka_partition: input.position.partition,
    kafka_offset: Number(input.position.offset),
    received_at: input.receivedAt,
    redriven_at: null,
  };
}
