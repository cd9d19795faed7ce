import { ENTITY_TYPES, LIFECYCLE_ENTITY_TYPES, type EntityStateByType, type EntityType } from './entities';

/**
 * Event vocabulary. Every event is a CloudEvents 1.0 JSON envelope whose `type` is
 * `phoenix.<entity type>.<action>`, e.g. `phoenix.desk_booking.checked_in`.
 */
export const CRUD_ACTIONS = ['created', 'updated', 'deleted'] as const;
export const LIFECYCLE_ACTIONS = ['checked_in', 'cancelled', 'no_show', 'completed'] as const;
export type CrudAction = (typeof CRUD_ACTIONS)[number];
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];
export type EventAction = CrudAction | LifecycleAction;

export const EVENT_TYPE_PREFIX = 'phoenix';

export function eventTypeName(entityType: EntityType, action: EventAction): string {
  return `${EVENT_TYPE_PREFIX}.${entityType}.${action}`;
}

export interface EventTypeInfo {
  readonly name: string;
  readonly entityType: EntityType;
  readonly action: EventAction;
}

/** Every event type Phoenix accepts, keyed by its `type` attribute. */
export const EVENT_TYPES: ReadonlyMap<string, EventTypeInfo> = new Map(
  ENTITY_TYPES.flatMap((entityType) => {
    const actions: readonly EventAction[] = LIFECYCLE_ENTITY_TYPES.has(entityType) ? [...CRUD_ACTIONS, ...LIFECYCLE_ACTIONS] : CRUD_ACTIONS;
    return actions.map((action) => {
      const name = eventTypeName(entityType, action);
      return [name, { name, entityType, action }] as const;
    });
  }),
);

/** A tombstone names the entity it deletes; anything else in its data is kept only in the raw event. */
export interface Tombstone {
  id: string;
}

/**
 * The CloudEvents 1.0 JSON envelope as it travels on Kafka. Phoenix's extension
 * attributes follow the CloudEvents naming rule (lower-case letters and digits only):
 * `tenantid`, `entityid` and the optional per-entity sequence `seq`. The W3C
 * `traceparent` travels in a Kafka header, not here.
 */
export interface CloudEventEnvelope<TData = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype?: 'application/json';
  tenantid: string;
  entityid: string;
  seq?: number;
  data: TData;
}

/** A validated event, normalised for the pipeline. */
export interface DomainEvent<K extends EntityType = EntityType> {
  /** CloudEvents `id`: the idempotency key of the whole platform. */
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly entityType: K;
  readonly action: EventAction;
  readonly tenantId: string;
  readonly entityId: string;
  /** Event (valid) time in epoch milliseconds, and the same instant as an ISO string. */
  readonly timeMs: number;
  readonly time: string;
  readonly seq: number | null;
  readonly subject: string | null;
  /** True for `deleted` events: `data` then holds only the id. */
  readonly tombstone: boolean;
  readonly data: EntityStateByType[K] | Tombstone;
}

export interface NewEventInput<K extends EntityType> {
  id: string;
  tenantId: string;
  entityType: K;
  action: EventAction;
  time: Date | string;
  data: K extends EntityType ? EntityStateByType[K] | Tombstone : never;
  seq?: number;
  source?: string;
  subject?: string;
}

/** Builds the wire envelope for an event (used by the generator, the import tool and tests). */
export function createCloudEvent<K extends EntityType>(input: NewEventInput<K>): CloudEventEnvelope {
  const envelope: CloudEventEnvelope = {
    specversion: '1.0',
    id: input.id,
    source: input.source ?? '/huddle',
    type: eventTypeName(input.entityType, input.action),
    time: typeof input.time === 'string' ? input.time : input.time.toISOString(),
    subject: input.subject ?? `${input.entityType}/${input.data.id}`,
    datacontenttype: 'application/json',
    tenantid: input.tenantId,
    entityid: input.data.id,
    data: input.data,
  };
  if (input.seq !== undefined) envelope.seq = input.seq;
  return envelope;
}

/**
 * The one order in which versions of an entity supersede each other:
 * (event time, sequence, event id), last writer wins. A missing sequence sorts
 * before any sequence. Returns <0 when `a` is older than `b`.
 */
export function compareEventOrder(a: Pick<DomainEvent, 'timeMs' | 'seq' | 'id'>, b: Pick<DomainEvent, 'timeMs' | 'seq' | 'id'>): number {
  if (a.timeMs !== b.timeMs) return a.timeMs - b.timeMs;
  const seqA = a.seq ?? -1;
  const seqB = b.seq ?? -1;
  if (seqA !== seqB) return seqA - seqB;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
