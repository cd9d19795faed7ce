/**
 * Bulk appends through the BigQuery Storage Write API: rows encoded as one Apache Arrow
 * record batch per request, sent on the table's default stream.
 *
 * Why this path exists: a MERGE whose source is an ARRAY<STRUCT> query parameter costs
 * BigQuery a large request per batch, and costs the emulator about 1.5 ms per row of
 * parameter binding in Python; an Arrow append of 5,000 rows takes the emulator about
 * 60 ms (docs/benchmarks.md). Real BigQuery recommends the Storage Write API for
 * streaming ingestion, and it has none of the load-job quota (1,500 per table per day).
 *
 * The default stream is at-least-once: a retried append may land twice. Callers append to
 * a staging table and read it back with a deduplicating MERGE, never into a final table.
 */
import { credentials } from '@grpc/grpc-js';
import { managedwriter } from '@google-cloud/bigquery-storage';
import {
  Binary,
  Bool,
  DateDay,
  Field,
  Float64,
  Int64,
  List,
  Table,
  TimestampMicrosecond,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import type { WarehouseConfig } from './config';
import { WarehouseError } from './errors';
import type { ColumnSpec, TableSpec } from './schema/types';

/** BigQuery refuses AppendRows requests over 10 MB; stay well under it. */
export const MAX_APPEND_BYTES = 8 * 1024 * 1024;

/** The value of one cell: `valueAt(column, row)`. Timestamps as ISO strings, Dates or epoch ms; dates as YYYY-MM-DD. */
export type CellReader = (column: string, row: number) => unknown;

/** An encoded append: the Arrow schema message and one record batch message. */
export interface ArrowPayload {
  schema: Uint8Array;
  recordBatch: Uint8Array;
  rows: number;
}

function scalarType(column: ColumnSpec): DataType {
  switch (column.type) {
    case 'STRING':
    case 'JSON':
      return new Utf8();
    case 'INT64':
      return new Int64();
    case 'FLOAT64':
      return new Float64();
    case 'BOOL':
      return new Bool();
    case 'TIMESTAMP':
      return new TimestampMicrosecond('UTC');
    case 'DATE':
      return new DateDay();
    case 'BYTES':
      return new Binary();
    case 'NUMERIC':
      throw new TypeError(`appendRows: NUMERIC column ${column.name} is not supported (no exact Arrow decimal from JS numbers)`);
  }
}

/*
 * Column encoders that fill Arrow's buffers directly (offsets, UTF-8 bytes, bitmaps,
 * typed arrays). apache-arrow's generic builders cost about 0.5 µs per cell (a TextEncoder
 * call per string, growing buffers, a validity call per value): 60 % of the ingest's CPU
 * in tools/bench/ingest's end-to-end phase went to them.
 */

type Cells = readonly unknown[];
const isNull = (v: unknown) => v === null || v === undefined;

function validity(cells: Cells): { nullBitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0;
  const bitmap = new Uint8Array((cells.length + 7) >> 3);
  for (let i = 0; i < cells.length; i++) {
    if (isNull(cells[i])) nullCount++;
    else bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  }
  return nullCount === 0 ? { nullCount } : { nullBitmap: bitmap, nullCount };
}

/** Variable-width values (UTF-8 strings or bytes): one offsets array and one byte buffer. */
function variableData(type: Utf8 | Binary, cells: Cells, asText: (v: unknown) => string | Uint8Array): Data {
  const n = cells.length;
  const values = new Array<string | Uint8Array | null>(n);
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const cell = cells[i];
    const v = isNull(cell) ? null : asText(cell);
    values[i] = v;
    if (v !== null) total += typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  const writer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') writer.write(v, offsets[i] as number, 'utf8');
    else bytes.set(v, offsets[i] as number);
  }
  return makeData({ type, length: n, ...validity(cells), valueOffsets: offsets, data: bytes } as never);
}

const epochMs = (v: unknown) => (typeof v === 'number' ? v : v instanceof Date ? v.getTime() : Date.parse(v as string));
const dayMs = (v: unknown) => (typeof v === 'number' ? v : v instanceof Date ? v.getTime() : Date.parse(`${v as string}T00:00:00Z`));

/** The Arrow data of one column's cells. */
function scalarData(column: ColumnSpec, type: DataType, cells: Cells): Data {
  const n = cells.length;
  switch (column.type) {
    case 'STRING':
      return variableData(type as Utf8, cells, (v) => v as string);
    case 'JSON':
      return variableData(type as Utf8, cells, (v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    case 'BYTES':
      return variableData(type as Binary, cells, (v) => (typeof v === 'string' ? Buffer.from(v, 'base64') : (v as Uint8Array)));
    case 'INT64': {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = cells[i];
        if (!isNull(v)) data[i] = typeof v === 'bigint' ? v : BigInt(v as number | string);
      }
      return makeData({ type, length: n, ...validity(cells), data } as never);
    }
    case 'FLOAT64': {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) if (!isNull(cells[i])) data[i] = cells[i] as number;
      return makeData({ type, length: n, ...validity(cells), data } as never);
    }
    case 'BOOL': {
      const data = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (cells[i] === true) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
      return makeData({ type, length: n, ...validity(cells), data } as never);
    }
    case 'TIMESTAMP': {
      // Microseconds, as BigQuery stores them.
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (!isNull(cells[i])) data[i] = BigInt(epochMs(cells[i])) * 1000n;
      return makeData({ type, length: n, ...validity(cells), data } as never);
    }
    case 'DATE': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) if (!isNull(cells[i])) data[i] = Math.floor(dayMs(cells[i]) / 86_400_000);
      return makeData({ type, length: n, ...validity(cells), data } as never);
    }
    case 'NUMERIC':
      throw new TypeError(`appendRows: NUMERIC column ${column.name} is not supported (no exact Arrow decimal from JS numbers)`);
  }
}

/** A column's Arrow data; REPEATED columns are lists that are never NULL (BigQuery has no NULL arrays). */
function columnData(column: ColumnSpec, type: DataType, cells: Cells): Data {
  if (column.mode !== 'REPEATED') return scalarData(column, type, cells);
  const offsets = new Int32Array(cells.length + 1);
  const items: unknown[] = [];
  for (let i = 0; i < cells.length; i++) {
    const list = cells[i];
    if (Array.isArray(list)) for (const item of list) items.push(item);
    offsets[i + 1] = items.length;
  }
  const child = scalarData(column, (type as List).valueType, items);
  return makeData({ type, length: cells.length, nullCount: 0, valueOffsets: offsets, child } as never);
}

const columnTypes = new WeakMap<TableSpec, DataType[]>();

function typesOf(table: TableSpec): DataType[] {
  let types = columnTypes.get(table);
  if (!types) {
    types = table.columns.map((column) => {
      const scalar = scalarType(column);
      return column.mode === 'REPEATED' ? new List(new Field('item', scalar, true)) : scalar;
    });
    columnTypes.set(table, types);
  }
  return types;
}

/** Encodes rows [from, to) as one Arrow IPC payload, whatever its size. */
function encodeOne(table: TableSpec, from: number, to: number, valueAt: CellReader): ArrowPayload {
  const types = typesOf(table);
  const vectors: Record<string, Vector> = {};
  table.columns.forEach((column, c) => {
    const cells = new Array<unknown>(to - from);
    for (let row = from; row < to; row++) cells[row - from] = valueAt(column.name, row);
    vectors[column.name] = makeVector(columnData(column, types[c] as DataType, cells));
  });
  // One record batch: every vector is a single Data chunk of the same length.
  const [batch] = new Table(vectors).batches;
  return splitStream(tableToIPC(new Table(batch as NonNullable<typeof batch>), 'stream'), to - from);
}

const payloadBytes = (p: ArrowPayload) => p.schema.byteLength + p.recordBatch.byteLength;

/** Rows per request are sized for this share of the limit, so that rows wider than the last ones rarely overshoot it. */
const FILL = 0.85;
/** Rows in the first request of a table whose row width is not known yet. */
const FIRST_CHUNK_ROWS = 2_000;
/** Bytes per encoded row, per table, as last measured: sizes the next requests without encoding twice. */
const rowWidths = new WeakMap<TableSpec, number>();

/**
 * Encodes rows [from, to) of a table as Arrow IPC payloads of at most `maxBytes` each,
 * lazily, in order. Each row is encoded once, unless a request overshoots the limit
 * (rows much wider than the ones before), which is then encoded again in halves.
 * Request sizes come from the table's last measured row width.
 */
export function* encodeRowChunks(
  table: TableSpec,
  from: number,
  to: number,
  valueAt: CellReader,
  maxBytes = MAX_APPEND_BYTES,
): Generator<ArrowPayload> {
  let start = from;
  while (start < to) {
    const width = rowWidths.get(table);
    const rows = width === undefined ? FIRST_CHUNK_ROWS : Math.max(1, Math.floor((maxBytes * FILL) / width));
    let end = Math.min(to, start + rows);
    let payload = encodeOne(table, start, end, valueAt);
    while (payloadBytes(payload) > maxBytes && end - start > 1) {
      end = start + Math.ceil((end - start) / 2);
      payload = encodeOne(table, start, end, valueAt);
    }
    rowWidths.set(table, payloadBytes(payload) / (end - start));
    yield payload;
    start = end;
  }
}

/** Every payload of encodeRowChunks, at once. */
export function encodeRows(table: TableSpec, from: number, to: number, valueAt: CellReader, maxBytes = MAX_APPEND_BYTES): ArrowPayload[] {
  return [...encodeRowChunks(table, from, to, valueAt, maxBytes)];
}

/**
 * An Arrow IPC stream is [schema message][record batch message][end-of-stream marker];
 * the Write API wants the schema message and the record batch message apart. Each
 * message starts with the 0xFFFFFFFF continuation marker and its metadata length; the
 * schema message has no body.
 */
function splitStream(stream: Uint8Array, rows: number): ArrowPayload {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  if (view.getUint32(0, true) !== 0xffffffff) throw new Error('Arrow IPC stream without a continuation marker');
  const schemaEnd = 8 + view.getInt32(4, true);
  const endsWithEos =
    stream.byteLength >= schemaEnd + 8 &&
    view.getUint32(stream.byteLength - 8, true) === 0xffffffff &&
    view.getInt32(stream.byteLength - 4, true) === 0;
  return {
    schema: stream.subarray(0, schemaEnd),
    recordBatch: stream.subarray(schemaEnd, endsWithEos ? stream.byteLength - 8 : stream.byteLength),
    rows,
  };
}

/** gRPC status codes (google.rpc.Code) that a later attempt can get past. */
const RETRYABLE_GRPC = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 10 /* ABORTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */]);

/** Maps a Storage Write API failure (a gRPC error or an error status in the response) to a WarehouseError. */
export function classifyAppendError(err: unknown): WarehouseError {
  if (err instanceof WarehouseError) return err;
  const e = err as { code?: unknown; message?: string };
  const message = `Storage Write API append failed: ${e?.message ?? String(err)}`;
  const code = typeof e?.code === 'number' ? e.code : undefined;
  if (code === 8 /* RESOURCE_EXHAUSTED */) return new WarehouseError('QUOTA_EXCEEDED', message, true, { cause: err });
  if (code === 5 /* NOT_FOUND */) return new WarehouseError('NOT_FOUND', message, false, { cause: err });
  if (code === 7 /* PERMISSION_DENIED */ || code === 16 /* UNAUTHENTICATED */)
    return new WarehouseError('PERMISSION_DENIED', message, false, { cause: err });
  if (code === undefined || RETRYABLE_GRPC.has(code)) return new WarehouseError('TRANSIENT', message, true, { cause: err });
  return new WarehouseError('QUERY_FAILED', message, false, { cause: err });
}

type Connection = Awaited<ReturnType<managedwriter.WriterClient['createStreamConnection']>>;

/**
 * Connections idle this long are closed. bqemulator serves each open AppendRows stream
 * on one thread of a small pool (about six on two cores) for the stream's whole life, so
 * an idle stream that is never closed — a test's forgotten warehouse, a stopped lane —
 * would starve every later append. Real BigQuery is happy either way: the connection
 * is reopened once per busy period, not per append.
 */
const IDLE_CLOSE_MS = 5_000;

/**
 * Appends encoded rows to tables of the configured dataset, one default-stream
 * connection per table, opened on first use, closed when idle, and replaced after any
 * failure (a broken bidi stream is not worth diagnosing: the caller retries the batch).
 */
export function createAppender(config: WarehouseConfig) {
  let client: managedwriter.WriterClient | undefined;
  const connections = new Map<string, Promise<Connection>>();
  let busy = 0;
  let idleTimer: NodeJS.Timeout | undefined;

  async function closeAll(): Promise<void> {
    clearTimeout(idleTimer);
    const open = [...connections.values()];
    connections.clear();
    await Promise.all(open.map((c) => c.then((x) => x.close()).catch(() => undefined)));
    client?.close();
    client = undefined;
  }

  function writerClient(): managedwriter.WriterClient {
    if (!client) {
      const [host, port] = (config.storageEmulatorHost ?? '').split(':');
      client = new managedwriter.WriterClient({
        projectId: config.projectId,
        ...(config.storageEmulatorHost
          ? { apiEndpoint: host, port: Number(port), sslCreds: credentials.createInsecure() }
          : config.keyFilename
            ? { keyFilename: config.keyFilename }
            : {}),
      });
    }
    return client;
  }

  function connectionFor(table: string): Promise<Connection> {
    let connection = connections.get(table);
    if (!connection) {
      const destinationTable = `projects/${config.projectId}/datasets/${config.datasetId}/tables/${table}`;
      connection = writerClient()
        .createStreamConnection({ streamId: managedwriter.DefaultStream, destinationTable })
        .then((c) => {
          // Errors also reject the pending write; without a listener they would crash the process.
          c.on('error', () => undefined);
          return c;
        });
      connection.catch(() => connections.delete(table));
      connections.set(table, connection);
    }
    return connection;
  }

  function drop(table: string): void {
    const connection = connections.get(table);
    connections.delete(table);
    void connection?.then((c) => c.close()).catch(() => undefined);
  }

  /** Sends one request on the table's connection; the returned promise settles with its answer. */
  async function send(table: string, payload: ArrowPayload): Promise<void> {
    const connection = await connectionFor(table);
    const pending = connection.write({
      writeStream: connection.getStreamId(),
      arrowRows: { writerSchema: { serializedSchema: payload.schema }, rows: { serializedRecordBatch: payload.recordBatch } },
    });
    const response = await pending.getResult();
    if (response.error && response.error.code)
      throw Object.assign(new Error(response.error.message ?? 'append refused'), { code: response.error.code });
    if (response.rowErrors && response.rowErrors.length > 0) {
      const first = response.rowErrors[0];
      throw Object.assign(new Error(`${response.rowErrors.length} row(s) refused; row ${String(first?.index)}: ${first?.message ?? ''}`), {
        code: 3,
      });
    }
  }

  /**
   * Encodes and sends every request of an append without waiting for the answers in
   * between: the server stores request k while this process encodes request k + 1 (a
   * turn of the event loop between encodings lets the bytes go out). Then waits for all
   * answers. The default stream accepts requests in flight on one connection.
   */
  async function appendAll(table: TableSpec, rowCount: number, valueAt: CellReader): Promise<void> {
    const sent: Promise<void>[] = [];
    let failed = false;
    // Encoding errors (a value the column type cannot hold) are the caller's: thrown as they are.
    for (const payload of encodeRowChunks(table, 0, rowCount, valueAt)) {
      if (sent.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      // After a refused request the append fails anyway: send no more on a broken stream.
      if (failed) break;
      const answer = send(table.name, payload);
      // Collected below; without a handler an early failure would be "unhandled" meanwhile.
      answer.catch(() => (failed = true));
      sent.push(answer);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      // A stream to a server that went away can stay silent: bound the wait like a query.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error(`no answer within ${config.queryTimeoutMs} ms`), { code: 4 })),
          config.queryTimeoutMs,
        );
      });
      await Promise.race([Promise.all(sent), timeout]);
    } catch (err) {
      drop(table.name);
      throw classifyAppendError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    /** Appends rows [0, rowCount) of `table`, read cell by cell, in as many requests as the size limit needs. */
    async appendRows(table: TableSpec, rowCount: number, valueAt: CellReader): Promise<void> {
      if (rowCount <= 0) return;
      busy++;
      clearTimeout(idleTimer);
      try {
        await appendAll(table, rowCount, valueAt);
      } finally {
        if (--busy === 0) {
          idleTimer = setTimeout(() => void closeAll(), IDLE_CLOSE_MS);
          idleTimer.unref();
        }
      }
    },
    close: closeAll,
  };
}

export type Appender = ReturnType<typeof createAppender>;
