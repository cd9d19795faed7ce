import { z } from 'zod';
import { parseConfig } from '@phoenix/domain';
import { warehouseEnvironment } from '@phoenix/bq';

/** The only place this subgraph reads process.env: one schema per concern, all problems at once. */
const httpEnvironment = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(4002),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

const contextEnvironment = z.object({
  // Subgraphs trust only requests whose context the gateway signed with this secret.
  CONTEXT_SIGNING_SECRET: z
    .string({ message: 'required: the secret the gateway signs request context with' })
    .min(32, 'must be at least 32 characters'),
});

export function loadEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig({ http: httpEnvironment, context: contextEnvironment, warehouse: warehouseEnvironment }, env);
}

export type SubgraphEnvironment = ReturnType<typeof loadEnvironment>;
