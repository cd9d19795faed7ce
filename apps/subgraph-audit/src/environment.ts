import { z } from 'zod';
import { parseConfig } from '@phoenix/service/config';
import { warehouseEnvironment } from '@phoenix/bq';
import { contextEnvironment } from '@phoenix/service';
import { subgraphHttpEnvironment } from '@phoenix/subgraph';

const changeFeedEnvironment = z
  .object({
    // The feed's watermark stays at least this far behind the warehouse's clock: it covers
    // the difference between the ingest hosts' clocks (which stamp versions) and the
    // warehouse's. Writes still in flight hold it back by themselves (the write log).
    CHANGE_FEED_SETTLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
    // How long one computed watermark is served to every request of this instance.
    CHANGE_FEED_WATERMARK_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  })
  .transform((e) => ({ clockSkewMs: e.CHANGE_FEED_SETTLE_MS, cacheMs: e.CHANGE_FEED_WATERMARK_CACHE_MS }));

/** The only place this subgraph reads process.env: one schema per concern, all problems at once. */
export function loadEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(
    {
      http: subgraphHttpEnvironment(4002),
      context: contextEnvironment,
      warehouse: warehouseEnvironment,
      changeFeed: changeFeedEnvironment,
    },
    env,
  );
}

export type AuditEnvironment = ReturnType<typeof loadEnvironment>;
