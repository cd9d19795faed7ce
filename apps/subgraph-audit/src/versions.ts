import type { EntityType } from '@phoenix/domain';
import { ENTITY_COLUMNS, type HistoryVersionRow } from '@phoenix/bq';

/** snake_case entity type → GraphQL type name. */
const TYPE_NAMES = {
  building: 'Building',
  floor: 'Floor',
  desk: 'Desk',
  room: 'Room',
  team: 'Team',
  member: 'Member',
  desk_booking: 'DeskBooking',
  room_booking: 'RoomBooking',
  visit: 'Visit',
} as const satisfies Record<EntityType, string>;

export type EntityTypeName = (typeof TYPE_NAMES)[EntityType];

export const typeName = (entityType: EntityType): EntityTypeName => TYPE_NAMES[entityType];

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A history row as a `<Type>Version` object: the version columns, then what the event said. */
export interface VersionObject {
  __typename: `${EntityTypeName}Version`;
  entityId: string;
  validFrom: string;
  validTo: string | null;
  recordedAt: string;
  eventId: string;
  eventType: string;
  seq: number | null;
  deleted: boolean;
  [field: string]: unknown;
}

export function toVersion(entityType: EntityType, row: HistoryVersionRow): VersionObject {
  const version: VersionObject = {
    __typename: `${typeName(entityType)}Version`,
    entityId: row.id,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    recordedAt: row.recorded_at,
    eventId: row.event_id,
    eventType: row.event_type,
    seq: row.seq,
    deleted: row.deleted,
  };
  // A deletion carries no state: every field is null. The warehouse cannot say so for a
  // list column (BigQuery stores an empty array, never a NULL one), so it is decided here.
  for (const column of ENTITY_COLUMNS[entityType]) version[camel(column.name)] = row.deleted ? null : (row[column.name] ?? null);
  return version;
}

/** An entity as this subgraph knows it: a reference the gateway resolves through the bookings subgraph. */
export interface EntityRef {
  __typename: EntityTypeName;
  id: string;
}
