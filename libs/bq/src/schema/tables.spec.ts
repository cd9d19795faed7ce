import { ENTITY_SCHEMAS, ENTITY_TYPES } from '@phoenix/domain';
import { ENTITY_COLUMNS, INGEST_WRITES_TABLE, STAGE_TABLE, WAREHOUSE_TABLES, currentTableName, historyTableName } from './tables';

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('warehouse schema', () => {
  it.each(ENTITY_TYPES)('has exactly one column for every field of %s (besides id)', (entityType) => {
    const fields = Object.keys(ENTITY_SCHEMAS[entityType].shape)
      .filter((f) => f !== 'id')
      .map(snake)
      .sort();
    expect(ENTITY_COLUMNS[entityType].map((c) => c.name).sort()).toEqual(fields);
  });

  it('declares a current and a history table per entity type, plus raw events, dead letters, the ingest staging table and write log', () => {
    const names = WAREHOUSE_TABLES.map((t) => t.name);
    expect(names).toHaveLength(4 + 2 * ENTITY_TYPES.length);
    for (const entityType of ENTITY_TYPES) {
      expect(names).toContain(currentTableName(entityType));
      expect(names).toContain(historyTableName(entityType));
    }
    expect(names).toEqual(expect.arrayContaining(['events_raw', 'dead_letters', 'ingest_stage', 'ingest_writes']));
  });

  it.each(WAREHOUSE_TABLES.map((t) => [t.name, t] as const))(
    '%s is day-partitioned on a time column and clustered by what its readers filter on first',
    (name, table) => {
      const partition = table.columns.find((c) => c.name === table.partitionBy);
      expect(partition && ['TIMESTAMP', 'DATE'].includes(partition.type)).toBe(true);
      // Tenant first everywhere, except the ingest's own tables: the stage is only read by
      // batch, the write log by kind (open intents) and Kafka position.
      const first = name === STAGE_TABLE.name ? 'batch_id' : name === INGEST_WRITES_TABLE.name ? 'kind' : 'tenant_id';
      expect(table.clusterBy[0]).toBe(first);
      expect(table.clusterBy.length).toBeLessThanOrEqual(4);
      expect(new Set(table.columns.map((c) => c.name)).size).toBe(table.columns.length);
    },
  );

  it('keeps bitemporal columns on every history table', () => {
    for (const table of WAREHOUSE_TABLES.filter((t) => t.name.endsWith('_history'))) {
      expect(table.columns.filter((c) => ['valid_from', 'recorded_at'].includes(c.name)).map((c) => c.mode)).toEqual([
        'REQUIRED',
        'REQUIRED',
      ]);
    }
  });
});
