import { tableRef } from '../sql';
import type { Warehouse } from '../client';
import { WRITE_INTENT_EXPIRY_MS } from '../schema/tables';
import { checkStatement } from '../sql';
import { feedWatermark, openWritesQuery, type WriteLogRow } from './history';

const NOW = '2026-01-05T12:00:00.000Z';
const at = (offsetMs: number) => new Date(Date.parse(NOW) + offsetMs).toISOString();

const nowRow: WriteLogRow = {
  role: 'now',
  write_id: null,
  topic: null,
  kafka_partition: null,
  from_offset: null,
  to_offset: null,
  logged_at: null,
  now: NOW,
};
const row = (
  role: 'open' | 'cover',
  writeId: string,
  from: number,
  to: number,
  atMs: number,
  partition = 0,
  topic = 'events',
): WriteLogRow => ({
  role,
  write_id: writeId,
  topic,
  kafka_partition: partition,
  from_offset: from,
  to_offset: to,
  logged_at: at(atMs),
  now: NOW,
});
const open = (writeId: string, from: number, to: number, atMs: number, partition = 0, topic = 'events') =>
  row('open', writeId, from, to, atMs, partition, topic);
const done = (writeId: string, from: number, to: number, partition = 0, topic = 'events') =>
  row('cover', writeId, from, to, 0, partition, topic);

const watermark = (rows: WriteLogRow[], clockSkewMs = 1000) => feedWatermark([nowRow, ...rows], { clockSkewMs }).watermark.toISOString();

describe('feedWatermark', () => {
  it('is the warehouse clock minus the skew allowance when no write is open', () => {
    expect(watermark([])).toBe(at(-1000));
    expect(watermark([], 0)).toBe(NOW);
  });

  it('stays strictly before the start of every write that may still commit', () => {
    expect(watermark([open('w1', 0, 9, -5_000)])).toBe(at(-5_001));
    expect(watermark([open('w1', 0, 9, -5_000), open('w2', 0, 4, -20_000, 1)])).toBe(at(-20_001));
    // A write that began within the skew allowance: the allowance is already lower.
    expect(watermark([open('w1', 0, 9, -200)])).toBe(at(-1000));
  });

  it('lets an intent go once done rows of other writes cover every one of its offsets', () => {
    // A survivor rewrote the dead writer's offsets in one write, or in several.
    expect(watermark([open('dead', 10, 19, -60_000), done('survivor', 5, 30)])).toBe(at(-1000));
    expect(watermark([open('dead', 10, 19, -60_000), done('s1', 10, 14), done('s2', 15, 19)])).toBe(at(-1000));
    expect(watermark([open('dead', 10, 19, -60_000), done('s2', 15, 25), done('s1', 8, 14)])).toBe(at(-1000));
  });

  it('keeps an intent whose offsets are covered only in part, or elsewhere', () => {
    // A gap at 15: a sibling chunk of the same partition is not a rewrite of these offsets.
    expect(watermark([open('w', 10, 19, -60_000), done('a', 10, 14), done('b', 16, 19)])).toBe(at(-60_001));
    expect(watermark([open('w', 10, 19, -60_000), done('a', 20, 29)])).toBe(at(-60_001));
    // The same offsets of another partition or topic say nothing about this one.
    expect(watermark([open('w', 10, 19, -60_000), done('a', 0, 99, 1)])).toBe(at(-60_001));
    expect(watermark([open('w', 10, 19, -60_000), done('a', 0, 99, 0, 'backfill')])).toBe(at(-60_001));
    // Its own write id is not a cover (its own done would have closed it in the query).
    expect(watermark([open('w', 10, 19, -60_000), done('w', 10, 19)])).toBe(at(-60_001));
  });

  it('stops waiting for an intent older than the expiry, and reports it', () => {
    const justInside = open('inside', 0, 9, -WRITE_INTENT_EXPIRY_MS);
    const beyond = open('beyond', 0, 9, -WRITE_INTENT_EXPIRY_MS - 1, 1);
    const result = feedWatermark([nowRow, justInside, beyond], { clockSkewMs: 1000 });
    expect(result.watermark.toISOString()).toBe(at(-WRITE_INTENT_EXPIRY_MS - 1));
    expect(result.holding.map((w) => w.writeId)).toEqual(['inside']);
    expect(result.expired.map((w) => w.writeId)).toEqual(['beyond']);
    expect(feedWatermark([nowRow, beyond], { clockSkewMs: 1000 }).watermark.toISOString()).toBe(at(-1000));
  });

  it('refuses an answer without the clock row', () => {
    expect(() => feedWatermark([], { clockSkewMs: 0 })).toThrow(/no rows/);
  });
});

describe('openWritesQuery', () => {
  const warehouse = { table: (name: string) => tableRef('phoenix-local', 'phoenix', name) } as unknown as Warehouse;

  it('reads the write log from a time bound (partition pruning), with every value a parameter', () => {
    const statement = openWritesQuery(warehouse, { since: new Date(NOW) });
    expect(() => checkStatement(statement)).not.toThrow();
    expect(statement.sql.text).toContain('`phoenix-local.phoenix.ingest_writes`');
    expect(statement.sql.text).toMatch(/WHERE logged_at >= @since/);
    expect(Object.keys(statement.params)).toEqual(['since']);
  });
});
