import { encodeRows, MAX_APPEND_BYTES, migrate, sql, STAGE_TABLE, WarehouseError, type Warehouse } from '../src/index';
import { col, type TableSpec } from '../src/schema/types';
import { createTestWarehouse, dropTestDataset } from '../src/testing';

/**
 * Storage Write API appends (Arrow, default stream) against the emulator's gRPC port:
 * values arrive typed, and appends racing REST queries neither lose rows nor hang the
 * emulator (tools/local/bigquery/NOTES.md: unpatched bqemulator deadlocked here).
 */
/** Staging rows with a 700-byte payload: batch `batch`, kafka_offset = row. */
const big = (batch: string) => (c: string, r: number) =>
  c === 'batch_id' ? batch : c === 'kafka_offset' ? r : c === 'payload' ? `{"row":${r},"pad":"${'p'.repeat(680)}"}` : null;

describe('appendRows against the emulator', () => {
  let warehouse: Warehouse;
  const count = async (where = sql`TRUE`) =>
    (
      await warehouse.query<{ n: number }>({
        sql: sql`SELECT COUNT(*) AS n FROM ${warehouse.table(STAGE_TABLE.name)} WHERE ${where}`,
        params: {},
      })
    )[0]?.n;

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_append', process.env);
    await migrate(warehouse);
  });
  afterAll(() => dropTestDataset(warehouse));

  it('stores every type as BigQuery reads it back', async () => {
    const row: Record<string, unknown> = {
      batch_id: 'typed',
      staged_at: '2026-11-26T01:02:03.456Z',
      to_current: true,
      tenant_id: 'acme',
      kafka_offset: 9_007_199_254_740_993n,
      features: ['monitor', 'standing'],
      date: '2026-02-28',
      payload: '{"é":"✓"}',
    };
    await warehouse.appendRows(STAGE_TABLE, 1, (c) => row[c] ?? null);
    const [read] = await warehouse.query({
      sql: sql`SELECT staged_at, to_current, CAST(kafka_offset AS STRING) AS kafka_offset, features, date, payload, event_id
        FROM ${warehouse.table(STAGE_TABLE.name)} WHERE batch_id = 'typed'`,
      params: {},
    });
    expect(read).toEqual({
      staged_at: '2026-11-26T01:02:03.456Z',
      to_current: true,
      kafka_offset: '9007199254740993',
      features: ['monitor', 'standing'],
      date: '2026-02-28',
      payload: '{"é":"✓"}',
      event_id: null,
    });
  });

  it('keeps every row and answers every query when appends race REST queries', async () => {
    const appends = 30;
    const rows = 400;
    let done = false;
    let answered = 0;
    const reader = (async () => {
      while (!done) {
        expect(typeof (await count())).toBe('number');
        answered++;
      }
    })();
    for (let i = 0; i < appends; i++)
      await warehouse.appendRows(STAGE_TABLE, rows, (c, r) => (c === 'batch_id' ? `race-${i}` : c === 'tenant_id' ? `t${r}` : null));
    done = true;
    await reader;
    expect(answered).toBeGreaterThan(appends / 2);
    expect(await count(sql`STARTS_WITH(batch_id, 'race-')`)).toBe(appends * rows);
  });

  it('sends an append over the request limit as several requests in flight, every row once', async () => {
    const rows = 24_000; // ~17 MB of payload: at least three requests of at most MAX_APPEND_BYTES
    expect(encodeRows(STAGE_TABLE, 0, rows, big('probe'), MAX_APPEND_BYTES).length).toBeGreaterThanOrEqual(3);
    await warehouse.appendRows(STAGE_TABLE, rows, big('big'));
    const [read] = await warehouse.query<{ n: number; first: number; last: number; distinct_offsets: number }>({
      sql: sql`SELECT COUNT(*) AS n, MIN(kafka_offset) AS first, MAX(kafka_offset) AS last, COUNT(DISTINCT kafka_offset) AS distinct_offsets
        FROM ${warehouse.table(STAGE_TABLE.name)} WHERE batch_id = 'big'`,
      params: {},
    });
    expect(read).toEqual({ n: rows, first: 0, last: rows - 1, distinct_offsets: rows });
  });

  it('fails with a coded, non-retryable error for a table that does not exist', async () => {
    const missing: TableSpec = { ...STAGE_TABLE, name: 'no_such_table', columns: [col('x', 'STRING', '')] };
    const err = await warehouse.appendRows(missing, 1, () => 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarehouseError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });
});
