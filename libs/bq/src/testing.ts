/**
 * Test fixtures for suites that run against a BigQuery (the emulator in CI): a
 * warehouse on a fresh, uniquely named dataset, its cleanup, and table metadata.
 * The environment comes from the caller (tests pass process.env).
 */
import { randomBytes } from 'node:crypto';
import { createWarehouse, RAW_CLIENT, warehouseEnvironment, type Warehouse } from './client';

/** A warehouse on a new dataset `<prefix>_<random>`, configured from `env` (BIGQUERY_* variables). */
export function createTestWarehouse(prefix: string, env: Readonly<Record<string, string | undefined>>): Warehouse {
  const config = warehouseEnvironment.parse({ ...env, BIGQUERY_DATASET: `${prefix}_${randomBytes(4).toString('hex')}` });
  return createWarehouse(config);
}

/** Deletes the warehouse's dataset and everything in it. */
export async function dropTestDataset(warehouse: Warehouse): Promise<void> {
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
  timePartitioning?: { type: string; field?: string };
  clustering?: { fields: string[] };
}> {
  const [meta] = await warehouse[RAW_CLIENT].dataset(warehouse.config.datasetId).table(table).getMetadata();
  return meta;
}
