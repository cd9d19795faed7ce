import { ENTITY_TYPES, type EntityType } from '@phoenix/domain';
import { ENTITY_COLUMNS, type HistoryVersionRow } from '@phoenix/bq';

/** snake_case entity type → GraphQL type name, e.g. desk_booking → DeskBooking. */
export const typeName = (entityType: EntityType) =>
  entityType
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');

export const ENTITY_TYPE_BY_NAME = Object.fromEntries(ENTITY_TYPES.map((t) => [typeName(t), t])) as Record<string, EntityType>;

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A history row as a `<Type>Version` object: the version columns, then what the event said. */
export interface VersionObject {
  __typename: string;
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
