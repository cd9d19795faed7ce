import type { Table } from '@google-cloud/bigquery';
import { classify, RAW_CLIENT, type Warehouse } from './client';
import { partitionExpirationMs, planMigration, type ExistingTable, type MigrationAction, type Refusal } from './schema/plan';
import { WAREHOUSE_TABLES } from './schema/tables';
import type { ColumnSpec, ColumnType, TableSpec } from './schema/types';
import { ident, keyword, sql, type SqlFragment } from './sql';

export interface MigrationReport {
  readonly dataset: string;
  readonly datasetCreated: boolean;
  readonly created: readonly string[];
  readonly altered: readonly {
    table: string;
    addedColumns: readonly string[];
    relaxedColumns: readonly string[];
    /** Present when the partition expiration changed: the new value in days, null for none. */
    partitionExpirationDays?: number;
  }[];
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
  const { config } = warehouse;
  const client = warehouse[RAW_CLIENT];
  const dataset = client.dataset(config.datasetId, { location: config.location });

  let datasetCreated = false;
  try {
    const [exists] = await dataset.exists();
    if (!exists) {
      progress(`creating dataset ${config.projectId}.${config.datasetId} in ${config.location}`);
      datasetCreated = await ignoreAlreadyExists(dataset.create({ location: config.location }));
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
  const altered: MigrationReport['altered'][number][] = [];
  const unchanged = [...plan.unchanged];
  for (const action of plan.actions) {
    const applied = await apply(warehouse, action, existing.get(action.table.name), progress);
    // A concurrent migrate (another replica, a parallel test run) may have created it first.
    if (action.kind === 'create-table' && !applied) unchanged.push(action.table.name);
    else if (action.kind === 'create-table') created.push(action.table.name);
    else
      altered.push({
        table: action.table.name,
        addedColumns: action.addColumns.map((c) => c.name),
        relaxedColumns: [...action.relaxColumns],
        ...(action.partitionExpirationMs !== undefined ? { partitionExpirationDays: action.partitionExpirationMs / 86_400_000 } : {}),
      });
  }
  return { dataset: `${config.projectId}.${config.datasetId}`, datasetCreated, created, altered, unchanged };
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
      partitionExpirationMs: meta.timePartitioning?.expirationMs ? Number(meta.timePartitioning.expirationMs) : null,
    };
  } catch (err) {
    throw classify(err);
  }
}

/** Applies one action; false when a create found the table already there (409). */
async function apply(
  warehouse: Warehouse,
  action: MigrationAction,
  existing: ExistingTable | undefined,
  progress: (m: string) => void,
): Promise<boolean> {
  const table = warehouse[RAW_CLIENT].dataset(warehouse.config.datasetId).table(action.table.name);
  try {
    if (action.kind === 'create-table') {
      progress(`creating table ${action.table.name}`);
      return await ignoreAlreadyExists(
        table.create({
          description: action.table.description,
          schema: { fields: action.table.columns.map(toField) },
          timePartitioning: timePartitioning(action.table, partitionExpirationMs(action.table)),
          clustering: { fields: [...action.table.clusterBy] },
        }),
      );
    }
    const changes = [
      ...action.addColumns.map((c) => `+${c.name}`),
      ...action.relaxColumns.map((c) => `${c} → NULLABLE`),
      ...(action.partitionExpirationMs === undefined ? [] : [`partition expiration → ${action.partitionExpirationMs / 86_400_000} days`]),
    ];
    progress(`altering table ${action.table.name}: ${changes.join(', ')}`);
    if (action.partitionExpirationMs !== undefined)
      await table.setMetadata({ timePartitioning: timePartitioning(action.table, action.partitionExpirationMs) });
    if (action.addColumns.length === 0 && action.relaxColumns.length === 0) return true;
    // One ADD COLUMN per statement: the emulator accepts no more, and DDL keeps the
    // physical table in step; the metadata patch below then records descriptions and modes.
    for (const column of action.addColumns) {
      await warehouse.execute({
        sql: sql`ALTER TABLE ${warehouse.table(action.table.name)} ADD COLUMN IF NOT EXISTS ${ident(column.name)} ${sqlType(column)}`,
        params: {},
      });
    }
    // Existing columns keep their order (ADD COLUMN appends); new ones follow in schema order.
    const declared = new Map(action.table.columns.map((c) => [c.name, c]));
    const fields = [
      ...(existing?.columns ?? []).map((c) =>
        toField(declared.get(c.name) ?? { name: c.name, type: c.type as ColumnType, mode: c.mode as ColumnSpec['mode'], description: '' }),
      ),
      ...action.addColumns.map(toField),
    ];
    await table.setMetadata({ schema: { fields } });
    return true;
  } catch (err) {
    throw classify(err);
  }
}

/** BigQuery's timePartitioning of a table: by day on its partition column, with its expiration if it declares one. */
function timePartitioning(table: TableSpec, expirationMs: number | null) {
  return { type: 'DAY', field: table.partitionBy, ...(expirationMs === null ? {} : { expirationMs: String(expirationMs) }) };
}

/** Resolves true when the create succeeded, false when the resource already existed (HTTP 409). */
async function ignoreAlreadyExists(create: Promise<unknown>): Promise<boolean> {
  try {
    await create;
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 409) return false;
    throw err;
  }
}

function toField(column: ColumnSpec) {
  return { name: column.name, type: column.type, mode: column.mode ?? 'NULLABLE', description: column.description };
}

const COLUMN_TYPES: readonly ColumnType[] = ['STRING', 'INT64', 'FLOAT64', 'NUMERIC', 'BOOL', 'TIMESTAMP', 'DATE', 'JSON', 'BYTES'];
const DDL_TYPES = [...COLUMN_TYPES, ...COLUMN_TYPES.map((t) => `ARRAY<${t}>`)];

/** The DDL type of a column, from the schema's type list, never from input. */
function sqlType(column: ColumnSpec): SqlFragment {
  return keyword(column.mode === 'REPEATED' ? `ARRAY<${column.type}>` : column.type, DDL_TYPES);
}
