import type { Table } from '@google-cloud/bigquery';
import { classify, type Warehouse } from './client';
import { planMigration, type ExistingTable, type MigrationAction, type Refusal } from './schema/plan';
import { WAREHOUSE_TABLES } from './schema/tables';
import type { ColumnSpec, TableSpec } from './schema/types';
import { ident, sql, SqlFragment } from './sql';

export interface MigrationReport {
  readonly dataset: string;
  readonly datasetCreated: boolean;
  readonly created: readonly string[];
  readonly altered: readonly { table: string; addedColumns: readonly string[]; relaxedColumns: readonly string[] }[];
  readonly unchanged: readonly string[];
}

/** Thrown before anything is changed when the schema asks for a destructive change. */
export class MigrationRefusedError extends Error {
  readonly code = 'DESTRUCTIVE_CHANGE';
  constructor(readonly refusals: readonly Refusal[]) {
    super(
      `migration refused: ${refusals.length} destructive change(s), nothing was changed:\n` +
        refusals.map((r) => `  - ${r.code} ${r.table}${r.column ? `.${r.column}` : ''}: ${r.message}`).join('\n'),
    );
    this.name = 'MigrationRefusedError';
  }
}

export interface MigrateOptions {
  tables?: readonly TableSpec[];
  /** Called once per step, for progress output. */
  onProgress?: (message: string) => void;
}

/**
 * Makes the dataset match the schema: creates the dataset and missing tables, adds new
 * nullable columns, relaxes REQUIRED → NULLABLE. Idempotent: a second run changes
 * nothing. Refuses — before changing anything — every destructive change (dropped or
 * retyped columns, new REQUIRED columns, other partitioning or clustering).
 */
export async function migrate(warehouse: Warehouse, options: MigrateOptions = {}): Promise<MigrationReport> {
  const tables = options.tables ?? WAREHOUSE_TABLES;
  const progress = options.onProgress ?? (() => undefined);
  const { client, config } = warehouse;
  const dataset = client.dataset(config.datasetId, { location: config.location });

  let datasetCreated = false;
  try {
    const [exists] = await dataset.exists();
    if (!exists) {
      progress(`creating dataset ${config.projectId}.${config.datasetId} in ${config.location}`);
      await dataset.create({ location: config.location });
      datasetCreated = true;
    }
  } catch (err) {
    throw classify(err);
  }

  const existing = new Map<string, ExistingTable>();
  for (const spec of tables) {
    const found = await describeTable(dataset.table(spec.name));
    if (found) existing.set(spec.name, found);
  }

  const plan = planMigration(tables, existing);
  if (plan.refusals.length > 0) throw new MigrationRefusedError(plan.refusals);

  const created: string[] = [];
  const altered: { table: string; addedColumns: string[]; relaxedColumns: string[] }[] = [];
  for (const action of plan.actions) {
    await apply(warehouse, action, progress);
    if (action.kind === 'create-table') created.push(action.table.name);
    else
      altered.push({
        table: action.table.name,
        addedColumns: action.addColumns.map((c) => c.name),
        relaxedColumns: [...action.relaxColumns],
      });
  }
  return { dataset: `${config.projectId}.${config.datasetId}`, datasetCreated, created, altered, unchanged: plan.unchanged };
}

async function describeTable(table: Table): Promise<ExistingTable | undefined> {
  try {
    const [exists] = await table.exists();
    if (!exists) return undefined;
    const [meta] = await table.getMetadata();
    return {
      name: table.id as string,
      columns: (meta.schema?.fields ?? []).map((f: { name: string; type: string; mode?: string }) => ({
        name: f.name,
        type: f.type,
        mode: f.mode ?? 'NULLABLE',
      })),
      partitionBy: meta.timePartitioning?.field ?? null,
      clusterBy: meta.clustering?.fields ?? [],
    };
  } catch (err) {
    throw classify(err);
  }
}

async function apply(warehouse: Warehouse, action: MigrationAction, progress: (m: string) => void): Promise<void> {
  const table = warehouse.client.dataset(warehouse.config.datasetId).table(action.table.name);
  try {
    if (action.kind === 'create-table') {
      progress(`creating table ${action.table.name}`);
      await table.create({
        description: action.table.description,
        schema: { fields: action.table.columns.map(toField) },
        timePartitioning: { type: 'DAY', field: action.table.partitionBy },
        clustering: { fields: [...action.table.clusterBy] },
      });
      return;
    }
    progress(`altering table ${action.table.name}: +${action.addColumns.map((c) => c.name).join(', +')}`);
    // One ADD COLUMN per statement: the emulator accepts no more, and DDL keeps the
    // physical table in step; the metadata patch below then records descriptions and modes.
    for (const column of action.addColumns) {
      await warehouse.execute({
        sql: sql`ALTER TABLE ${warehouse.table(action.table.name)} ADD COLUMN IF NOT EXISTS ${ident(column.name)} ${sqlType(column)}`,
        params: {},
      });
    }
    await table.setMetadata({ schema: { fields: action.table.columns.map(toField) } });
  } catch (err) {
    throw classify(err);
  }
}

function toField(column: ColumnSpec) {
  return { name: column.name, type: column.type, mode: column.mode ?? 'NULLABLE', description: column.description };
}

/** The DDL type of a column; built from the ColumnType enum, never from input. */
function sqlType(column: ColumnSpec): SqlFragment {
  return new SqlFragment(column.mode === 'REPEATED' ? `ARRAY<${column.type}>` : column.type);
}
