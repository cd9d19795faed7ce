/**
 * Test fixtures for suites that run against a BigQuery (the emulator in CI): a
 * warehouse on a fresh, uniquely named dataset, its cleanup, and table metadata.
 * The environment comes from the caller (tests pass process.env).
 */
import { randomBytes } from 'node:crypto';
import { ENTITY_TYPES, type DomainEvent, type EntityType } from '@phoenix/domain';
import { createWarehouse, RAW_CLIENT, type Warehouse } from './client';
import { warehouseEnvironment } from './config';
import { versionRow, type VersionRow } from './rows';
import { ENRICHED_TYPES, enrichmentStatement, type ReferenceChanges } from './enrichment';
import { appendHistoryStatement, upsertCurrentStatement } from './writes';

/** A warehouse on a new dataset `<prefix>_<random>`, configured from `env` (BIGQUERY_* variables). */
export function createTestWarehouse(prefix: string, env: Readonly<Record<string, string | undefined>>): Warehouse {
  const config = warehouseEnvironment.parse({ ...env, BIGQUERY_DATASET: `${prefix}_${randomBytes(4).toString('hex')}` });
  return createWarehouse(config);
}

/** Deletes the warehouse's dataset and everything in it, and closes the warehouse's connections. */
export async function dropTestDataset(warehouse: Warehouse): Promise<void> {
  await warehouse.close().catch(() => undefined);
  await warehouse[RAW_CLIENT].dataset(warehouse.config.datasetId)
    .delete({ force: true })
    .catch(() => undefined);
}

/** BigQuery's metadata of a table (schema, partitioning, clustering) as the API reports it. */
export async function tableMetadata(
  warehouse: Warehouse,
  table: string,
): Promise<{
  schema: { fields: { name: string; type: string; mode?: string }[] };
  timePartitioning?: { type: string; field?: string; expirationMs?: string };
  clustering?: { fields: string[] };
}> {
  const [meta] = await warehouse[RAW_CLIENT].dataset(warehouse.config.datasetId).table(table).getMetadata();
  return meta;
}

/**
 * Writes validated events the way the ingest does (history, then current, then the
 * enrichment of bookings and visits), without Kafka: a fixture for suites that read
 * the warehouse (the subgraphs). `recordedAt` is the system time of the whole batch.
 */
export async function applyEvents(
  warehouse: Warehouse,
  events: readonly DomainEvent[],
  recordedAt: Date | string = new Date(),
): Promise<void> {
  const byType = new Map<EntityType, VersionRow[]>();
  for (const event of events) {
    const rows = byType.get(event.entityType) ?? [];
    rows.push(versionRow(event, recordedAt));
    byType.set(event.entityType, rows);
  }
  for (const entityType of ENTITY_TYPES) {
    const rows = byType.get(entityType);
    if (!rows) continue;
    await warehouse.execute(appendHistoryStatement(warehouse, entityType, rows));
    await warehouse.execute(upsertCurrentStatement(warehouse, entityType, rows));
  }
  const ids = (type: EntityType) => [...new Set(events.filter((e) => e.entityType === type).map((e) => e.entityId))];
  const changed: ReferenceChanges = {
    tenants: [...new Set(events.map((e) => e.tenantId))],
    desk: ids('desk'),
    room: ids('room'),
    floor: ids('floor'),
    building: ids('building'),
    member: ids('member'),
    team: ids('team'),
  };
  // Bookings written in this call are enriched too, whatever their references' age.
  for (const type of ENRICHED_TYPES) {
    await warehouse.execute(enrichmentStatement(warehouse, type, { ...changed, ids: ids(type) }));
  }
}
