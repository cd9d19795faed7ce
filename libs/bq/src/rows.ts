import type { DomainEvent, EntityType } from '@phoenix/domain';
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
const FIELD_OF: { [K in EntityType]: readonly (readonly [column: string, field: string])[] } = Object.fromEntries(
  Object.entries(ENTITY_COLUMNS).map(([type, columns]) => [type, columns.map((c) => [c.name, camel(c.name)] as const)]),
) as never;

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
