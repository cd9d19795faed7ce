import { BigQuery, type Query } from '@google-cloud/bigquery';
import { OAuth2Client } from 'google-auth-library';
import { createAppender, type CellReader } from './append';
import type { WarehouseConfig } from './config';
import { WarehouseError } from './errors';
import type { TableSpec } from './schema/types';
import { checkStatement, tableRef, type Param, type ParamType, type SqlFragment, type Statement } from './sql';

export { WarehouseError, type WarehouseErrorCode } from './errors';

export interface QueryOptions {
  /** Overrides the configured short-query mode for this call. */
  jobCreationMode?: WarehouseConfig['jobCreationMode'];
  /** Labels for cost attribution (BigQuery job labels). */
  labels?: Record<string, string>;
}

/** A row as returned by `Warehouse.query`: timestamps as ISO strings, dates as YYYY-MM-DD, numbers as numbers. */
export type Row = Record<string, unknown>;

/** The warehouse handle every app and tool uses; the BigQuery client stays inside this library. */
export interface Warehouse {
  readonly config: WarehouseConfig;
  /** A fully qualified, safely quoted reference to a table of the configured dataset. */
  table(name: string): SqlFragment;
  /** Runs a SELECT and returns plain rows. */
  query<T extends Row = Row>(statement: Statement, options?: QueryOptions): Promise<T[]>;
  /** Runs DML (INSERT/UPDATE/DELETE/MERGE) or DDL and returns the number of affected rows. */
  execute(statement: Statement, options?: QueryOptions): Promise<{ affectedRows: number }>;
  /** Names of the tables in the configured dataset; empty when the dataset does not exist. */
  listTables(): Promise<string[]>;
  /**
   * Appends rows to a table through the Storage Write API (Arrow, default stream). At
   * least once: a retry may land rows twice, so append only to staging tables that are
   * read back with a deduplicating statement. Cells are read with `valueAt(column, row)`.
   */
  appendRows(table: TableSpec, rowCount: number, valueAt: CellReader): Promise<void>;
  /** Closes the Storage Write API connections, if any were opened. Queries need no closing. */
  close(): Promise<void>;
  /** The raw client, for libs/bq's own schema management; not reachable through the barrel. */
  readonly [RAW_CLIENT]: BigQuery;
}

/**
 * Key of the raw BigQuery client on a Warehouse. Exported from this module for libs/bq
 * (migrate, testing) but not from the library's barrel, so apps cannot bypass the
 * parameter-only query layer.
 */
export const RAW_CLIENT: unique symbol = Symbol('phoenix.bq.rawClient');

/** Builds the warehouse handle for the emulator or real BigQuery, from configuration alone. */
export function createWarehouse(config: WarehouseConfig): Warehouse {
  const client = new BigQuery({
    projectId: config.projectId,
    location: config.location,
    // Phoenix retries on its own terms (WarehouseError.retryable, with backoff in the
    // callers); the client's silent retries would hide outages and multiply latency.
    autoRetry: false,
    // The emulator needs no credentials; a fixed token keeps google-auth-library from
    // probing for Application Default Credentials and the GCE metadata server.
    ...(config.emulatorEndpoint
      ? { apiEndpoint: config.emulatorEndpoint, authClient: new OAuth2Client({ credentials: { access_token: 'emulator' } }) }
      : {}),
    ...(config.keyFilename ? { keyFilename: config.keyFilename } : {}),
  });

  const appender = createAppender(config);

  async function run(statement: Statement, options: QueryOptions = {}): Promise<{ rows: Row[]; affectedRows: number }> {
    checkStatement(statement);
    const { params, types } = toClientParams(statement.params);
    const request: Query = {
      query: statement.sql.text,
      params,
      types: types as Query['types'],
      location: config.location,
      useLegacySql: false,
      // No jobTimeoutMs: the client then skips the jobs.query fast path, which is what
      // short-query mode needs. The bound is jobs.query's own timeoutMs instead.
      jobCreationMode: options.jobCreationMode ?? config.jobCreationMode,
      ...(options.labels ? { labels: options.labels } : {}),
    } as Query;
    let result: unknown[];
    try {
      result = (await client.query(request, { timeoutMs: config.queryTimeoutMs })) as unknown[];
    } catch (err) {
      throw classify(err);
    }
    const [rows, , response] = result as [
      Row[],
      unknown,
      { errors?: { message?: string; reason?: string }[]; numDmlAffectedRows?: string } | undefined,
    ];
    // The fast path (jobs.query) can answer 200 with `errors` instead of failing; the
    // client then resolves with no rows. Treat that as the failure it is.
    if (response?.errors && response.errors.length > 0) {
      const reason = response.errors[0]?.reason;
      throw classifyReason(reason, response.errors.map((e) => e.message ?? reason ?? 'query failed').join('; '));
    }
    return { rows: rows.map(plainRow), affectedRows: Number(response?.numDmlAffectedRows ?? 0) };
  }

  return {
    config,
    [RAW_CLIENT]: client,
    table: (name) => tableRef(config.projectId, config.datasetId, name),
    query: async <T extends Row = Row>(statement: Statement, options?: QueryOptions) => (await run(statement, options)).rows as T[],
    execute: async (statement, options) => ({ affectedRows: (await run(statement, options)).affectedRows }),
    listTables: async () => {
      try {
        const dataset = client.dataset(config.datasetId);
        const [exists] = await dataset.exists();
        if (!exists) return [];
        const [tables] = await dataset.getTables();
        return tables.map((t) => t.id as string);
      } catch (err) {
        throw classify(err);
      }
    },
    appendRows: (table, rowCount, valueAt) => appender.appendRows(table, rowCount, valueAt),
    close: () => appender.close(),
  };
}

/** Converts our typed params to what the Node client expects (it drops plain-string TIMESTAMP and DATE values). */
function toClientParams(params: Readonly<Record<string, Param>>): { params: Record<string, unknown>; types: Record<string, unknown> } {
  const values: Record<string, unknown> = {};
  const types: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(params)) {
    values[name] = toClientValue(p.type, p.value);
    types[name] = p.type;
  }
  return { params: values, types };
}

function toClientValue(type: ParamType, value: unknown): unknown {
  // BigQuery has no NULL arrays (a NULL array is stored as empty), and the client cannot encode one.
  if (Array.isArray(type)) return ((value ?? []) as unknown[]).map((v) => toClientValue(type[0] as ParamType, v));
  if (value === null || value === undefined) return null;
  if (typeof type === 'object') {
    const row = value as Record<string, unknown>;
    return Object.fromEntries(Object.entries(type).map(([field, fieldType]) => [field, toClientValue(fieldType, row[field] ?? null)]));
  }
  switch (type) {
    case 'TIMESTAMP':
      return value instanceof Date ? value : new Date(value as string | number);
    case 'DATE':
      return BigQuery.date(value as string);
    default:
      return value;
  }
}

/** BigQuery value wrappers (timestamps, dates, numerics) → plain JSON values. */
function plainRow(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = plainValue(value);
  return out;
}

function plainValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return value;
  const name = value.constructor?.name;
  if (name === 'BigQueryTimestamp') return new Date((value as { value: string }).value).toISOString();
  if (name === 'BigQueryDate' || name === 'BigQueryDatetime' || name === 'BigQueryTime') return (value as { value: string }).value;
  if (name === 'Big') return String(value);
  if (value instanceof Date) return value.toISOString();
  return plainRow(value as Row);
}

const RETRYABLE_REASONS = new Set([
  'backendError',
  'internalError',
  'rateLimitExceeded',
  'jobRateLimitExceeded',
  'jobBackendError',
  'timeout',
]);
// BigQuery reports DML contention as an ordinary invalidQuery error; it succeeds on retry.
const CONTENTION = /could not serialize access|concurrent update|too many dml statements/i;

function classifyReason(reason: string | undefined, message: string, cause?: unknown): WarehouseError {
  if (reason === 'notFound') return new WarehouseError('NOT_FOUND', message, false, { cause });
  if (reason === 'accessDenied' || reason === 'authError') return new WarehouseError('PERMISSION_DENIED', message, false, { cause });
  if (reason === 'quotaExceeded') return new WarehouseError('QUOTA_EXCEEDED', message, true, { cause });
  if ((reason && RETRYABLE_REASONS.has(reason)) || CONTENTION.test(message))
    return new WarehouseError('TRANSIENT', message, true, { cause });
  return new WarehouseError('QUERY_FAILED', message, false, { cause });
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/** Maps client errors to WarehouseError: network failures, 5xx and contention are transient; other 4xx are not. */
export function classify(err: unknown): WarehouseError {
  if (err instanceof WarehouseError) return err;
  const e = err as {
    code?: unknown;
    errors?: { reason?: string }[];
    message?: string;
    response?: { statusCode?: number; status?: number };
  };
  const message = e?.message ?? String(err);
  if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) return new WarehouseError('TRANSIENT', message, true, { cause: err });
  // @google-cloud/common puts the HTTP status in `code`; gaxios in `response.status`.
  const status = typeof e?.code === 'number' ? e.code : (e?.response?.status ?? e?.response?.statusCode);
  const reason = e?.errors?.[0]?.reason;
  if (reason) return classifyReason(reason, message, err);
  if (CONTENTION.test(message)) return new WarehouseError('TRANSIENT', message, true, { cause: err });
  if (status === 404) return new WarehouseError('NOT_FOUND', message, false, { cause: err });
  if (status === 401 || status === 403) return new WarehouseError('PERMISSION_DENIED', message, false, { cause: err });
  if (status === 429) return new WarehouseError('QUOTA_EXCEEDED', message, true, { cause: err });
  if (status !== undefined && status >= 500) return new WarehouseError('TRANSIENT', message, true, { cause: err });
  if (/socket hang up|fetch failed|network/i.test(message)) return new WarehouseError('TRANSIENT', message, true, { cause: err });
  return new WarehouseError('QUERY_FAILED', message, false, { cause: err });
}
