import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createCloudEvent, validateEvent, type DomainEvent, type EntityType } from '@phoenix/domain';
import { type RequestContext } from '@phoenix/access';
import { currentByIdsQuery, eventTraceQuery, migrate, type Warehouse } from '@phoenix/bq';
import { applyEvents, createTestWarehouse } from '@phoenix/bq/testing';
import { ServiceProcess } from '@phoenix/service/testing';
import { postGraphQL, signedHeaders, type GraphQLResult } from '@phoenix/subgraph/testing';

/** Shared by the write-path suites: the secret, a Kafka admin, the reference world, helpers. */
export const SECRET = 'writes-context-secret-0123456789abcdef';
export const KEYS = { secrets: [SECRET] };
export const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export function testKafka(id: string): Kafka {
  return new Kafka({ clientId: `writes-${id}`, brokers: BROKERS, logLevel: logLevel.NOTHING });
}

export async function createTopics(kafka: Kafka, id: string) {
  const topics = { events: `writes.events.${id}`, backfill: `writes.backfill.${id}`, deadLetter: `writes.deadletter.${id}` };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  await admin.disconnect();
  return topics;
}

export async function deleteTopics(kafka: Kafka, topics: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

/** How many records the topic holds (sum of high watermarks): what "nothing doubled" counts. */
export async function recordsIn(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A building time zone where it is between 02:00 and 20:59 now, so a slot starting soon stays on one local day. */
export function daytimeZone(): string {
  for (const zone of ['UTC', 'Asia/Tokyo', 'America/New_York', 'Pacific/Auckland', 'Asia/Kolkata']) {
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
    if (hour >= 2 && hour <= 20) return zone;
  }
  return 'UTC';
}

let n = 0;
function event(tenantId: string, entityType: EntityType, data: Record<string, unknown>): DomainEvent {
  const result = validateEvent(
    createCloudEvent({
      id: `seed-${++n}-${randomBytes(3).toString('hex')}`,
      tenantId,
      entityType,
      action: 'created',
      time: '2026-01-01T00:00:00Z',
      data: data as never,
    }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

/** Reference data of two tenants: acme has desks d1-d9 (d0 not bookable), room r1 (8 seats), members m1, m2; globex has desk g1. */
export async function seedWorld(warehouse: Warehouse, timezone: string): Promise<void> {
  const acme = (type: EntityType, data: Record<string, unknown>) => event('acme', type, data);
  const desks = Array.from({ length: 10 }, (_, i) =>
    acme('desk', { id: `d${i}`, floorId: 'f1', label: `0.0${i}`, features: [], bookable: i !== 0 }),
  );
  await applyEvents(warehouse, [
    acme('building', { id: 'b1', name: 'HQ', city: 'Berlin', countryCode: 'DE', timezone }),
    acme('floor', { id: 'f1', buildingId: 'b1', name: 'Ground', level: 0 }),
    ...desks,
    acme('room', { id: 'r1', floorId: 'f1', name: 'Atlas', capacity: 8, features: [], bookable: true }),
    acme('room', { id: 'r2', floorId: 'f1', name: 'Boreas', capacity: 8, features: [], bookable: true }),
    acme('team', { id: 't1', name: 'Platform' }),
    acme('member', { id: 'm1', teamId: 't1', email: 'ann@example.com', displayName: 'Ann', role: 'employee', active: true }),
    acme('member', { id: 'm2', teamId: 't1', email: 'bob@example.com', displayName: 'Bob', role: 'employee', active: true }),
    event('globex', 'building', { id: 'gb1', name: 'Globex', city: 'Paris', countryCode: 'FR', timezone }),
    event('globex', 'floor', { id: 'gf1', buildingId: 'gb1', name: 'Ground', level: 0 }),
    event('globex', 'desk', { id: 'g1', floorId: 'gf1', label: 'G.1', features: [], bookable: true }),
    event('globex', 'member', { id: 'gm1', teamId: null, email: 'gil@example.com', displayName: 'Gil', role: 'employee', active: true }),
  ]);
}

export async function newWarehouse(prefix: string): Promise<Warehouse> {
  const warehouse = createTestWarehouse(prefix, process.env);
  await migrate(warehouse);
  return warehouse;
}

export function ingestProcess(warehouse: Warehouse, topics: { events: string; backfill: string; deadLetter: string }, id: string) {
  return new ServiceProcess(
    'ingest',
    {
      CONTEXT_SIGNING_SECRET: SECRET,
      BIGQUERY_DATASET: warehouse.config.datasetId,
      TOPIC_EVENTS: topics.events,
      TOPIC_BACKFILL: topics.backfill,
      TOPIC_DEADLETTER: topics.deadLetter,
      INGEST_GROUP_ID: `writes-${id}`,
      INGEST_BACKFILL_GROUP_ID: `writes-backfill-${id}`,
      INGEST_LANES: 'live',
      HTTP_PORT: '0',
    },
    /"msg":"ingest started"/,
  );
}

export function commandsProcess(warehouse: Warehouse, topic: string, prefix: string, extra: Record<string, string> = {}) {
  return new ServiceProcess(
    'subgraph-commands',
    {
      CONTEXT_SIGNING_SECRET: SECRET,
      BIGQUERY_DATASET: warehouse.config.datasetId,
      TOPIC_EVENTS: topic,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      MAX_BATCH_EVENTS: '50',
      // The shared 2-core machine can hold the ingest back well beyond the default 10 s wait.
      MAX_WAIT_MS: '60000',
      ...extra,
    },
    /"msg":"subgraph-commands listening/,
  );
}

export type Caller = Partial<RequestContext>;
export const ACME_ALL: Caller = { tenantId: 'acme', consumerId: 'app-1', scopes: ['bookings:write', 'visits:write', 'events:write'] };

export function gql<T = Record<string, unknown>>(
  base: string,
  query: string,
  variables: Record<string, unknown> = {},
  caller: Caller = ACME_ALL,
): Promise<GraphQLResult<T>> {
  return postGraphQL<T>(`${base}/graphql`, { query, variables }, signedHeaders({ requestId: randomUUID(), ...caller }, KEYS));
}

export function postEvents(base: string, body: string, headers: Record<string, string>, caller: Caller | null = ACME_ALL) {
  return fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { ...(caller ? signedHeaders({ requestId: randomUUID(), ...caller }, KEYS) : {}), ...headers },
    body,
  });
}

export const RECEIPT = 'eventId eventType entityType entityId topic partition offset replayed recorded';

export async function currentRow(warehouse: Warehouse, tenantId: string, entityType: EntityType, id: string) {
  const [row] = await warehouse.query(currentByIdsQuery(warehouse, entityType, { tenantId, ids: [id] }));
  return row ?? null;
}

export async function recordedEvents(warehouse: Warehouse, tenantId: string, eventIds: string[]) {
  return warehouse.query<{ event_id: string; source: string; topic: string; kafka_partition: number; kafka_offset: number }>(
    eventTraceQuery(warehouse, { tenantId, eventIds }),
  );
}

export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A slot starting `inMinutes` from now, `minutes` long. */
export function slot(inMinutes: number, minutes = 60) {
  const start = new Date(Math.ceil((Date.now() + inMinutes * 60_000) / 1000) * 1000);
  return { startTime: start.toISOString(), endTime: new Date(start.getTime() + minutes * 60_000).toISOString() };
}

/** The value, or a failed test naming what was missing (instead of a non-null assertion). */
export function must<T>(value: T | null | undefined, what = 'a value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}
