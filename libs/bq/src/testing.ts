/**
 * Test fixtures for suites that run against a BigQuery (the emulator in CI): a
 * warehouse on a fresh, uniquely named dataset, and its cleanup.
 */
import { randomBytes } from 'node:crypto';
import { createWarehouse, warehouseEnvironment, type Warehouse } from './client';

/** A warehouse on a new dataset `<prefix>_<random>`, configured from the test environment. */
export function createTestWarehouse(prefix: string): Warehouse {
  const config = warehouseEnvironment.parse({ ...process.env, BIGQUERY_DATASET: `${prefix}_${randomBytes(4).toString('hex')}` });
  return createWarehouse(config);
}

/** Deletes the test dataset and everything in it. */
export async function dropTestDataset(warehouse: Warehouse): Promise<void> {
  await warehouse.client
    .dataset(warehouse.config.datasetId)
    .delete({ force: true })
    .catch(() => undefined);
}
