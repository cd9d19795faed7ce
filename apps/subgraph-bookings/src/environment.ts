import { z } from 'zod';
import { parseConfig } from '@phoenix/service/config';
import { warehouseEnvironment } from '@phoenix/bq';
import { contextEnvironment } from '@phoenix/service';
import { subgraphHttpEnvironment } from '@phoenix/subgraph';

/** The reference-entity cache: how stale a renamed building may be, and how many entities to keep. */
const cacheEnvironment = z
  .object({
    REFERENCE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
    REFERENCE_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).max(10_000_000).default(100_000),
  })
  .transform((e) => ({ ttlMs: e.REFERENCE_CACHE_TTL_MS, maxEntries: e.REFERENCE_CACHE_MAX_ENTRIES }));

/** The only place this subgraph reads process.env: one schema per concern, all problems at once. */
export function loadEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(
    { http: subgraphHttpEnvironment(4001), context: contextEnvironment, warehouse: warehouseEnvironment, cache: cacheEnvironment },
    env,
  );
}

export type BookingsEnvironment = ReturnType<typeof loadEnvironment>;
