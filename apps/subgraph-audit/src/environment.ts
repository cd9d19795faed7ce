import { z } from 'zod';
import { parseConfig } from '@phoenix/domain';
import { warehouseEnvironment } from '@phoenix/bq';
import { contextEnvironment } from '@phoenix/service';
import { subgraphHttpEnvironment } from '@phoenix/subgraph';

const changeFeedEnvironment = z
  .object({
    // The feed serves versions recorded up to now minus this. A batch's versions carry the
    // time its write began and become visible when it commits: the lag must cover the
    // longest batch write, or a consumer that has paged past that time would miss them.
    CHANGE_FEED_SETTLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  })
  .transform((e) => ({ settleMs: e.CHANGE_FEED_SETTLE_MS }));

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
