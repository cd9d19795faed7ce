/**
 * The warehouse schema as code. Each table is declared once here; `migrate` makes
 * BigQuery match it, and readers and writers take column names from it.
 */
export type ColumnType = 'STRING' | 'INT64' | 'FLOAT64' | 'NUMERIC' | 'BOOL' | 'TIMESTAMP' | 'DATE' | 'JSON' | 'BYTES';
export type ColumnMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** Defaults to NULLABLE. */
  readonly mode?: ColumnMode;
  readonly description: string;
}

export interface TableSpec {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
  /** Day partitioning on a TIMESTAMP or DATE column. */
  readonly partitionBy: string;
  /**
   * BigQuery deletes a partition this many days after its day: for transient tables
   * only (the ingest's stage). Unset: partitions are kept.
   */
  readonly partitionExpirationDays?: number;
  /** Up to four clustering columns; tenant_id always comes first so tenant queries scan little. */
  readonly clusterBy: readonly string[];
}

export const col = (name: string, type: ColumnType, description: string, mode: ColumnMode = 'NULLABLE'): ColumnSpec => ({
  name,
  type,
  mode,
  description,
});
