import { z } from 'zod';
import { envBoolean } from '@phoenix/service/config';

/**
 * The environment schemas every subgraph composes in its own `environment.ts` (the one
 * place that reads process.env). Both subgraphs share them, so their variables mean the
 * same thing; only the default port differs.
 */
export function subgraphHttpEnvironment(defaultPort: number) {
  return z
    .object({
      PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort),
      HOST: z.string().min(1).default('0.0.0.0'),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      // Operations come from the gateway, which has its own, tighter limits for clients.
      MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10_000_000).default(1_000_000),
      SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
      GRAPHQL_INTROSPECTION: envBoolean(true),
    })
    .transform((e) => ({
      port: e.PORT,
      host: e.HOST,
      logLevel: e.LOG_LEVEL,
      maxBodyBytes: e.MAX_BODY_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      introspection: e.GRAPHQL_INTROSPECTION,
    }));
}
