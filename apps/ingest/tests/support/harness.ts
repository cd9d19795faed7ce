import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { migrate, type Warehouse } from '@phoenix/bq';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { createLogger } from '@phoenix/service';
import { createMetrics, createEnricher, createWarehouseWriter, type ConsumedMessage } from '@phoenix/ingest';
import type { GeneratedMessage } from '@phoenix/fixtures';

/** A quiet logger that keeps its lines for assertions. */
export function testLogger(level = 'warn') {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    name: 'ingest-test',
    destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
  });
  return { logger, lines };
}

/** A migrated warehouse on a fresh dataset, and a writer on it. */
export async function freshWarehouse(prefix: string) {
  const warehouse: Warehouse = createTestWarehouse(prefix, process.env);
  await migrate(warehouse);
  const { logger } = testLogger();
  const metrics = createMetrics();
  const writer = createWarehouseWriter({ warehouse, metrics, logger, enricher: createEnricher({ warehouse }) });
  return { warehouse, writer, metrics, drop: () => dropTestDataset(warehouse) };
}

/** Generated messages as if read from one partition of a topic. */
export function asConsumed(
  messages: readonly Pick<GeneratedMessage, 'key' | 'value' | 'headers'>[],
  topic = 'test',
  firstOffset = 0,
): ConsumedMessage[] {
  return messages.map((m, i) => ({
    topic,
    partition: 0,
    offset: String(firstOffset + i),
    key: Buffer.from(m.key),
    value: Buffer.from(m.value),
    headers: { ...m.headers },
    receivedAt: new Date().toISOString(),
  }));
}

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
