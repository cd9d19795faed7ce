import { planMigration, type ExistingTable } from './plan';
import { col, type TableSpec } from './types';

const spec: TableSpec = {
  name: 'desk_current',
  description: 'test',
  columns: [
    col('tenant_id', 'STRING', 't', 'REQUIRED'),
    col('id', 'STRING', 'i', 'REQUIRED'),
    col('valid_from', 'TIMESTAMP', 'v', 'REQUIRED'),
    col('label', 'STRING', 'l'),
  ],
  partitionBy: 'valid_from',
  clusterBy: ['tenant_id', 'id'],
};

// BigQuery answers with legacy type names; the planner must treat them as equal.
const asExisting = (table: TableSpec): ExistingTable => ({
  name: table.name,
  columns: table.columns.map((c) => ({
    name: c.name,
    type: c.type === 'INT64' ? 'INTEGER' : c.type === 'BOOL' ? 'BOOLEAN' : c.type,
    mode: c.mode ?? 'NULLABLE',
  })),
  partitionBy: table.partitionBy,
  clusterBy: [...table.clusterBy],
});

const withExisting = (...tables: ExistingTable[]) => new Map(tables.map((t) => [t.name, t]));

describe('planMigration', () => {
  it('creates missing tables', () => {
    expect(planMigration([spec], new Map()).actions).toEqual([{ kind: 'create-table', table: spec }]);
  });

  it('does nothing when the table matches, whatever type spelling BigQuery uses', () => {
    const withInt = { ...spec, columns: [...spec.columns, col('n', 'INT64', 'n'), col('b', 'BOOL', 'b')] };
    expect(planMigration([withInt], withExisting(asExisting(withInt)))).toEqual({ actions: [], refusals: [], unchanged: ['desk_current'] });
  });

  it('adds new nullable and repeated columns', () => {
    const next = { ...spec, columns: [...spec.columns, col('features', 'STRING', 'f', 'REPEATED'), col('bookable', 'BOOL', 'b')] };
    const plan = planMigration([next], withExisting(asExisting(spec)));
    expect(plan.refusals).toEqual([]);
    expect(plan.actions).toEqual([{ kind: 'alter-table', table: next, addColumns: [next.columns[4], next.columns[5]], relaxColumns: [] }]);
  });

  it('relaxes REQUIRED to NULLABLE', () => {
    const next = { ...spec, columns: spec.columns.map((c) => (c.name === 'valid_from' ? { ...c, mode: 'NULLABLE' as const } : c)) };
    const plan = planMigration([next], withExisting(asExisting(spec)));
    expect(plan.actions).toEqual([{ kind: 'alter-table', table: next, addColumns: [], relaxColumns: ['valid_from'] }]);
  });

  it('refuses every destructive change at once, naming table and column', () => {
    const next: TableSpec = {
      ...spec,
      columns: [
        col('tenant_id', 'STRING', 't', 'REQUIRED'),
        col('id', 'INT64', 'i', 'REQUIRED'),
        col('valid_from', 'TIMESTAMP', 'v', 'REQUIRED'),
        col('owner', 'STRING', 'o', 'REQUIRED'),
      ],
      partitionBy: 'recorded_at',
      clusterBy: ['tenant_id'],
    };
    const existing = asExisting({ ...spec, columns: [...spec.columns, col('note', 'STRING', 'n')] });
    const plan = planMigration([next], withExisting(existing));
    expect(plan.actions).toEqual([]);
    expect(plan.refusals.map((r) => `${r.code} ${r.table}.${r.column ?? ''}`).sort()).toEqual(
      [
        'COLUMN_REMOVED desk_current.label',
        'COLUMN_REMOVED desk_current.note',
        'COLUMN_TYPE_CHANGED desk_current.id',
        'REQUIRED_COLUMN_ADDED desk_current.owner',
        'PARTITIONING_CHANGED desk_current.recorded_at',
        'CLUSTERING_CHANGED desk_current.',
      ].sort(),
    );
    expect(plan.refusals.find((r) => r.code === 'COLUMN_REMOVED')?.message).toMatch(
      /desk_current\.label exists in BigQuery but not in the schema/,
    );
  });

  it('refuses tightening a column to REQUIRED or REPEATED', () => {
    const next = { ...spec, columns: spec.columns.map((c) => (c.name === 'label' ? { ...c, mode: 'REPEATED' as const } : c)) };
    expect(planMigration([next], withExisting(asExisting(spec))).refusals.map((r) => r.code)).toEqual(['COLUMN_MODE_CHANGED']);
  });

  it('sets or changes a declared partition expiration in place, and leaves an undeclared one alone', () => {
    const expiring: TableSpec = { ...spec, partitionExpirationDays: 3 };
    expect(planMigration([expiring], withExisting(asExisting(spec))).actions).toEqual([
      { kind: 'alter-table', table: expiring, addColumns: [], relaxColumns: [], partitionExpirationMs: 259_200_000 },
    ]);
    const already = { ...asExisting(spec), partitionExpirationMs: 259_200_000 };
    expect(planMigration([expiring], withExisting(already))).toEqual({ actions: [], refusals: [], unchanged: ['desk_current'] });
    // Set by hand or by the dataset's default: not the schema's business.
    expect(planMigration([spec], withExisting(already))).toEqual({ actions: [], refusals: [], unchanged: ['desk_current'] });
  });

  it('leaves tables it does not manage alone', () => {
    const other: ExistingTable = { name: 'someone_elses', columns: [], partitionBy: null, clusterBy: null };
    expect(planMigration([spec], withExisting(asExisting(spec), other)).refusals).toEqual([]);
  });
});
