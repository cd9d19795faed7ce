import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { feedWatermark, openWritesQuery, WRITE_INTENT_EXPIRY_MS, type Warehouse, type WriteLogRow } from '@phoenix/bq';

export interface WatermarkOptions {
  /** How far behind the warehouse's clock the watermark stays at least (clock differences between hosts). */
  clockSkewMs: number;
  /** How long one computed watermark is served: an older watermark is always safe, only later. */
  cacheMs: number;
}

/**
 * The change feed's watermark for this subgraph instance: one small write-log query
 * (libs/bq openWritesQuery, feedWatermark) at most every `cacheMs`, shared by every
 * request and tenant (the write log holds Kafka positions only). Intents that expired
 * without a done are logged once each and counted in a gauge: their writer died and no
 * one rewrote their offsets, which only a deleted topic or a reset group should cause.
 */
export function createWatermarkSource(deps: {
  warehouse: Warehouse;
  options: WatermarkOptions;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}) {
  const { warehouse, options, logger } = deps;
  const now = deps.now ?? Date.now;
  const lagSeconds = new Gauge({
    name: 'phoenix_audit_feed_watermark_lag_seconds',
    help: 'How far the change feed watermark is behind the warehouse clock, as last computed',
    registers: [deps.registry],
  });
  const holding = new Gauge({
    name: 'phoenix_audit_feed_open_writes',
    help: 'Ingest write attempts holding the change feed watermark back, as last computed',
    registers: [deps.registry],
  });
  const expired = new Gauge({
    name: 'phoenix_audit_feed_expired_writes',
    help: 'Ingest write intents older than the expiry with their offsets never rewritten: ignored by the watermark',
    registers: [deps.registry],
  });
  const reported = new Set<string>();
  let cached: { at: number; value: Promise<Date> } | undefined;

  async function compute(): Promise<Date> {
    // Twice the expiry: expired intents still come back, to be reported.
    const rows = await warehouse.query<WriteLogRow>(openWritesQuery(warehouse, { since: new Date(now() - 2 * WRITE_INTENT_EXPIRY_MS) }), {
      labels: { component: 'subgraph', query: 'feed_watermark' },
    });
    const result = feedWatermark(rows, { clockSkewMs: options.clockSkewMs });
    const clock = rows[0] ? Date.parse(rows[0].now) : now();
    lagSeconds.set((clock - result.watermark.getTime()) / 1000);
    holding.set(result.holding.length);
    expired.set(result.expired.length);
    for (const write of result.expired) {
      if (reported.has(write.writeId)) continue;
      reported.add(write.writeId);
      logger.warn(
        {
          writeId: write.writeId,
          topic: write.topic,
          partition: write.partition,
          fromOffset: write.fromOffset,
          startedAt: write.startedAt,
        },
        'ingest write intent expired without being done: the change feed no longer waits for it',
      );
    }
    return result.watermark;
  }

  return {
    /** The current watermark: every version recorded at or before it is visible, and none can still appear. */
    current(): Promise<Date> {
      const t = now();
      if (!cached || t - cached.at >= options.cacheMs) {
        const value = compute();
        cached = { at: t, value };
        // A failed computation is not served again.
        value.catch(() => {
          if (cached?.value === value) cached = undefined;
        });
      }
      return cached.value;
    },
  };
}

export type WatermarkSource = ReturnType<typeof createWatermarkSource>;
