import { z } from 'zod';
import { parseConfig } from '@phoenix/service/config';
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

/** `npm start` / `npm run dev`: where the local platform runs and how much demo data it makes. */
export function loadPlatformEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
  const platform = z
    .object({
      KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
      REDIS_URL: z.url().optional(),
      PHOENIX_LOCAL_DIR: z.string().min(1).optional(),
      GATEWAY_PORT: port(4000),
      SUBGRAPH_BOOKINGS_PORT: port(4001),
      SUBGRAPH_AUDIT_PORT: port(4002),
      SUBGRAPH_COMMANDS_PORT: port(4003),
      INGEST_HTTP_PORT: port(9464),
      PHOENIX_WATCH: z.enum(['0', '1']).default('0'),
      DEMO_SEED_EVENTS: z.coerce.number().int().min(0).max(1_000_000).default(2_500),
      DEMO_TRICKLE_PER_SECOND: z.coerce.number().min(0).max(1000).default(1),
      PHOENIX_STOP_SERVICES_ON_EXIT: z.enum(['0', '1']).default('0'),
    })
    .transform((e) => ({
      brokers: e.KAFKA_BROKERS.split(',').map((b) => b.trim()),
      redisUrl: e.REDIS_URL ?? null,
      localDir: e.PHOENIX_LOCAL_DIR ?? null,
      ports: {
        gateway: e.GATEWAY_PORT,
        bookings: e.SUBGRAPH_BOOKINGS_PORT,
        audit: e.SUBGRAPH_AUDIT_PORT,
        commands: e.SUBGRAPH_COMMANDS_PORT,
        ingest: e.INGEST_HTTP_PORT,
      },
      watch: e.PHOENIX_WATCH === '1',
      seedEvents: e.DEMO_SEED_EVENTS,
      tricklePerSecond: e.DEMO_TRICKLE_PER_SECOND,
      stopServicesOnExit: e.PHOENIX_STOP_SERVICES_ON_EXIT === '1',
    }));
  const parsed = parseConfig({ platform, warehouse: warehouseEnvironment }, env);
  // The apps are children of this process: they inherit its environment (PATH, the
  // emulator's address …) plus what the platform sets for each.
  const inherited = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  return { ...parsed, inherited };
}
