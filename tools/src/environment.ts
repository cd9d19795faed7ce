import { z } from 'zod';
import { parseConfig } from '@phoenix/domain';
import { warehouseEnvironment } from '@phoenix/bq';

/** The only place the tools read process.env: the same warehouse variables as the apps. */
export function loadToolsEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig({ warehouse: warehouseEnvironment }, env);
}

/** The consumers CLI needs only the file the gateway reads. */
export function loadConsumersEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(
    {
      consumers: z.object({ CONSUMERS_FILE: z.string().min(1).optional() }).transform((e) => ({ consumersFile: e.CONSUMERS_FILE ?? null })),
    },
    env,
  ).consumers;
}
