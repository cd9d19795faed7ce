import { z } from 'zod';
import { parseConfig } from '@phoenix/domain';

/** The only place the gateway reads process.env: one schema per concern, all problems at once. */
const httpEnvironment = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

const subgraphEnvironment = z.object({
  SUBGRAPH_BOOKINGS_URL: z.url().default('http://127.0.0.1:4001/graphql'),
  SUBGRAPH_AUDIT_URL: z.url().default('http://127.0.0.1:4002/graphql'),
});

const contextEnvironment = z.object({
  // The gateway signs the tenant/consumer/scopes context it forwards with this secret.
  CONTEXT_SIGNING_SECRET: z
    .string({ message: 'required: the secret used to sign request context for the subgraphs' })
    .min(32, 'must be at least 32 characters'),
});

export function loadEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig({ http: httpEnvironment, subgraphs: subgraphEnvironment, context: contextEnvironment }, env);
}

export type GatewayEnvironment = ReturnType<typeof loadEnvironment>;
