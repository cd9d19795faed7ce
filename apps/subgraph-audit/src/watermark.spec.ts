import pino from 'pino';
import { Registry } from 'prom-client';
import { tableRef, type Warehouse, type WriteLogRow } from '@phoenix/bq';
import { createWatermarkSource } from './watermark';

const NOW = Date.parse('2026-01-05T12:00:00.000Z');
const nowRow = (nowMs: number): WriteLogRow => ({
  role: 'now',
  write_id: null,
  topic: null,
  kafka_partition: null,
  from_offset: null,
  to_offset: null,
  logged_at: null,
  now: new Date(nowMs).toISOString(),
});

/** A warehouse that answers the write-log query with whatever `answer` gives, counting calls. */
function stubWarehouse(answer: () => Promise<WriteLogRow[]>) {
  let calls = 0;
  const warehouse = {
    table: (name: string) => tableRef('phoenix-local', 'phoenix', name),
    query: async () => {
      calls++;
      return answer();
    },
  } as unknown as Warehouse;
  return { warehouse, calls: () => calls };
}

describe('createWatermarkSource', () => {
  it('serves one computed watermark for cacheMs, then asks the write log again', async () => {
    let clock = NOW;
    const stub = stubWarehouse(async () => [nowRow(clock)]);
    const source = createWatermarkSource({
      warehouse: stub.warehouse,
      options: { clockSkewMs: 1000, cacheMs: 1000 },
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      now: () => clock,
    });
    expect((await source.current()).getTime()).toBe(NOW - 1000);
    clock += 999;
    expect((await source.current()).getTime()).toBe(NOW - 1000);
    expect(stub.calls()).toBe(1);
    clock += 1;
    expect((await source.current()).getTime()).toBe(NOW + 1000 - 1000);
    expect(stub.calls()).toBe(2);
  });

  it('does not keep serving a failed computation', async () => {
    let fail = true;
    const stub = stubWarehouse(async () => {
      if (fail) throw new Error('warehouse away');
      return [nowRow(NOW)];
    });
    const source = createWatermarkSource({
      warehouse: stub.warehouse,
      options: { clockSkewMs: 0, cacheMs: 60_000 },
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      now: () => NOW,
    });
    await expect(source.current()).rejects.toThrow('warehouse away');
    fail = false;
    expect((await source.current()).getTime()).toBe(NOW);
  });

  it('logs an expired intent once and counts it', async () => {
    const expired: WriteLogRow = {
      role: 'open',
      write_id: 'w-dead',
      topic: 'gone',
      kafka_partition: 0,
      from_offset: 0,
      to_offset: 9,
      logged_at: new Date(NOW - 60 * 60_000).toISOString(),
      now: new Date(NOW).toISOString(),
    };
    const stub = stubWarehouse(async () => [nowRow(NOW), expired]);
    const lines: string[] = [];
    const registry = new Registry();
    const source = createWatermarkSource({
      warehouse: stub.warehouse,
      options: { clockSkewMs: 0, cacheMs: 0 },
      logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
      registry,
      now: () => NOW,
    });
    expect((await source.current()).getTime()).toBe(NOW);
    await source.current();
    expect(lines.filter((l) => l.includes('w-dead'))).toHaveLength(1);
    expect(await registry.getSingleMetricAsString('phoenix_audit_feed_expired_writes')).toMatch(/phoenix_audit_feed_expired_writes 1/);
  });
});
