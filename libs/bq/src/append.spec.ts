import { tableFromIPC } from 'apache-arrow';
import { classifyAppendError, encodeRows } from './append';
import { STAGE_TABLE } from './schema/tables';
import { col, type TableSpec } from './schema/types';

const TABLE: TableSpec = {
  name: 't',
  description: 'every type the warehouse uses',
  partitionBy: 'ts',
  clusterBy: [],
  columns: [
    col('s', 'STRING', ''),
    col('n', 'INT64', ''),
    col('f', 'FLOAT64', ''),
    col('b', 'BOOL', ''),
    col('ts', 'TIMESTAMP', ''),
    col('d', 'DATE', ''),
    col('j', 'JSON', ''),
    col('tags', 'STRING', '', 'REPEATED'),
    col('bin', 'BYTES', ''),
  ],
};

const ROWS: Record<string, unknown>[] = [
  {
    s: 'é ✓',
    n: 9_007_199_254_740_993n,
    f: 1.5,
    b: true,
    ts: '2026-11-26T01:02:03.456Z',
    d: '2026-02-28',
    j: { a: [1] },
    tags: ['x', 'y'],
    bin: new Uint8Array([0, 255, 7]),
  },
  { s: null, n: 7, f: null, b: false, ts: new Date('2026-01-01T00:00:00Z'), d: null, j: '"text"', tags: [] },
  { s: '', n: null, f: 0, b: null, ts: null, d: '1970-01-01', j: null, tags: null },
];

function decode(payload: { schema: Uint8Array; recordBatch: Uint8Array }) {
  // What the Write API does: the schema message followed by the record batch message.
  return tableFromIPC(Buffer.concat([payload.schema, payload.recordBatch]));
}

describe('encodeRows (Storage Write API, Arrow)', () => {
  it('encodes every column type so that Arrow reads back the same values', () => {
    const payloads = encodeRows(TABLE, 0, ROWS.length, (c, i) => (ROWS[i] as Record<string, unknown>)[c]);
    expect(payloads).toHaveLength(1);
    const table = decode(payloads[0] as never);
    expect(table.numRows).toBe(3);
    const rows = table.toArray().map((r) => r.toJSON());
    expect(rows[0]).toMatchObject({ s: 'é ✓', n: 9_007_199_254_740_993n, f: 1.5, b: true, j: '{"a":[1]}' });
    // Stored as microseconds, as BigQuery's TIMESTAMP; Arrow's getter reads back milliseconds.
    const micros = table.getChild('ts')?.data[0]?.values as BigInt64Array;
    expect(micros[0]).toBe(BigInt(Date.parse('2026-11-26T01:02:03.456Z')) * 1000n);
    expect(rows[0].ts).toBe(Date.parse('2026-11-26T01:02:03.456Z'));
    expect(rows[0].d).toBe(Date.parse('2026-02-28T00:00:00Z')); // DateDay reads back as epoch ms
    expect([...rows[0].tags]).toEqual(['x', 'y']);
    const bin = table.getChild('bin');
    expect(Buffer.from(bin?.get(0) as Uint8Array).toString('hex')).toBe('00ff07');
    expect(bin?.get(1)).toBeNull();
    expect(rows[1]).toMatchObject({ s: null, n: 7n, f: null, b: false, d: null, j: '"text"' });
    expect(rows[1].ts).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect([...rows[1].tags]).toEqual([]);
    expect(rows[2]).toMatchObject({ s: '', n: null, b: null, ts: null, d: 0, j: null });
    expect([...rows[2].tags]).toEqual([]); // BigQuery has no NULL arrays
  });

  it('splits a batch over the size limit into requests under it, keeping every row once and in order', () => {
    const n = 1_000;
    const valueAt = (c: string, i: number) => (c === 's' ? `row-${i}-${'x'.repeat(200)}` : c === 'n' ? i : null);
    const limit = 64 * 1024;
    const payloads = encodeRows(TABLE, 0, n, valueAt, limit);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(p.schema.byteLength + p.recordBatch.byteLength).toBeLessThanOrEqual(limit);
    const numbers = payloads.flatMap((p) => [...(decode(p).getChild('n')?.toArray() ?? [])]);
    expect(numbers.map(Number)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('reads each cell once when the rows are alike (requests sized from the last row width)', () => {
    const table: TableSpec = { ...TABLE }; // a new spec: no row width known yet
    const n = 20_000;
    let reads = 0;
    const valueAt = (c: string, i: number) => {
      reads++;
      return c === 's' ? `row-${i}-${'x'.repeat(200)}` : c === 'n' ? i : null;
    };
    const limit = 1024 * 1024;
    const payloads = encodeRows(table, 0, n, valueAt, limit);
    expect(payloads.length).toBeGreaterThan(3);
    expect(reads).toBe(n * table.columns.length);
    for (const p of payloads) expect(p.schema.byteLength + p.recordBatch.byteLength).toBeLessThanOrEqual(limit);
    expect(payloads.reduce((sum, p) => sum + p.rows, 0)).toBe(n);
  });

  it('encodes again in halves a request that rows wider than the last ones pushed over the limit', () => {
    const table: TableSpec = { ...TABLE };
    const limit = 64 * 1024;
    encodeRows(table, 0, 100, (c, i) => (c === 'n' ? i : null), limit); // narrow rows: large requests planned next
    const wide = (c: string, i: number) => (c === 's' ? 'w'.repeat(1_000) : c === 'n' ? i : null);
    const payloads = encodeRows(table, 0, 500, wide, limit);
    for (const p of payloads) expect(p.schema.byteLength + p.recordBatch.byteLength).toBeLessThanOrEqual(limit);
    const numbers = payloads.flatMap((p) => [...(decode(p).getChild('n')?.toArray() ?? [])]);
    expect(numbers.map(Number)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('refuses a column type it cannot encode exactly', () => {
    const numeric: TableSpec = { ...TABLE, columns: [col('x', 'NUMERIC', '')] };
    expect(() => encodeRows(numeric, 0, 1, () => 1)).toThrow(/NUMERIC column x/);
  });

  it('encodes the staging table (the union of every entity type) without a type clash', () => {
    expect(STAGE_TABLE.columns.filter((c) => c.name === 'features')).toHaveLength(1);
    const payloads = encodeRows(STAGE_TABLE, 0, 1, (c) => (c === 'batch_id' ? 'b' : null));
    expect(
      decode(payloads[0] as never)
        .getChild('batch_id')
        ?.get(0),
    ).toBe('b');
  });
});

describe('classifyAppendError', () => {
  it.each([
    [14, 'TRANSIENT', true],
    [4, 'TRANSIENT', true],
    [8, 'QUOTA_EXCEEDED', true],
    [5, 'NOT_FOUND', false],
    [7, 'PERMISSION_DENIED', false],
    [3, 'QUERY_FAILED', false],
  ])('gRPC status %i → %s (retryable %s)', (code, expected, retryable) => {
    const err = classifyAppendError(Object.assign(new Error('x'), { code }));
    expect([err.code, err.retryable]).toEqual([expected, retryable]);
  });
});
