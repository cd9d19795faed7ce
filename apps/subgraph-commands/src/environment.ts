import { z } from 'zod';
import { parseConfig } from '@phoenix/service/config';
import { warehouseEnvironment } from '@phoenix/bq';
import { contextEnvironment, kafkaEnvironment } from '@phoenix/service';
import { subgraphHttpEnvironment } from '@phoenix/subgraph';

/** What a write may cost and how long anything may wait: every bound a client can meet (docs/api.md "Writing"). */
const writesEnvironment = z
  .object({
    TOPIC_EVENTS: z.string().min(1).default('phoenix.events'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z.string().min(1).default('phoenix:writes:'),
    // Longest a write waits for Kafka's acknowledgement before answering UNAVAILABLE (503).
    PRODUCE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    // How long a receipt answers a retry with the same Idempotency-Key (Stripe keeps them 24 h).
    IDEMPOTENCY_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(86_400),
    // How long a booking's claim on its desk or room outlives the command: far beyond the ingest's lag,
    // after which the current state holds the booking and the state check sees it.
    CLAIM_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(3_600),
    MAX_BATCH_EVENTS: z.coerce.number().int().min(1).max(1_000).default(500),
    // The longest read-your-writes wait a client may ask for (waitForRecorded / Prefer: wait=N).
    MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
    // How far in the past a new booking may start (clock skew, a booking made a minute late).
    PAST_TOLERANCE_MS: z.coerce.number().int().min(0).max(86_400_000).default(900_000),
  })
  .transform((e) => ({
    topic: e.TOPIC_EVENTS,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    produceTimeoutMs: e.PRODUCE_TIMEOUT_MS,
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
    claimTtlSeconds: e.CLAIM_TTL_SECONDS,
    maxBatchEvents: e.MAX_BATCH_EVENTS,
    maxWaitMs: e.MAX_WAIT_MS,
    pastToleranceMs: e.PAST_TOLERANCE_MS,
  }));

/** The only place this subgraph reads process.env: one schema per concern, all problems at once. */
export function loadEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(
    {
      http: subgraphHttpEnvironment(4003),
      context: contextEnvironment,
      warehouse: warehouseEnvironment,
      kafka: kafkaEnvironment('phoenix-commands'),
      writes: writesEnvironment,
    },
    env,
  );
}

export type CommandsEnvironment = ReturnType<typeof loadEnvironment>;
export type WritesConfig = CommandsEnvironment['writes'];
