import { z } from 'zod';
import { envBoolean, envList } from './config';

/** The secrets the gateway signs request contexts with: comma-separated, the first signs, any verifies (rotation). */
export const contextEnvironment = z
  .object({
    CONTEXT_SIGNING_SECRET: envList().pipe(
      z
        .array(z.string().min(32, 'each secret must be at least 32 characters'))
        .min(1, 'required: the secret(s) the gateway signs request contexts with, comma-separated'),
    ),
  })
  .partial({ CONTEXT_SIGNING_SECRET: true })
  .transform((e, ctx) => {
    if (!e.CONTEXT_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONTEXT_SIGNING_SECRET'],
        message: 'required: the secret(s) the gateway signs request contexts with',
      });
      return z.NEVER;
    }
    return { secrets: e.CONTEXT_SIGNING_SECRET };
  });

/** How a service reaches Kafka: brokers, client id, TLS and SASL (the mechanisms kafkajs supports). */
export interface KafkaConnectionConfig {
  brokers: string[];
  clientId: string;
  connectionTimeoutMs: number;
  ssl?: { rejectUnauthorized: boolean; caFile?: string };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

/**
 * The KAFKA_* variables every service that talks to the broker reads (docs/configuration.md),
 * with its own default client id; every inconsistent combination is reported by name.
 */
export function kafkaEnvironment(defaultClientId: string) {
  return z
    .object({
      KAFKA_BROKERS: envList()
        .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1, 'list at least one broker'))
        .default(['127.0.0.1:9092']),
      KAFKA_CLIENT_ID: z.string().min(1).default(defaultClientId),
      KAFKA_SSL: envBoolean(false),
      KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
      KAFKA_SSL_REJECT_UNAUTHORIZED: envBoolean(true),
      KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
      KAFKA_SASL_USERNAME: z.string().min(1).optional(),
      KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
      KAFKA_CONNECTION_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
    })
    .superRefine((env, ctx) => {
      if (env.KAFKA_SASL_MECHANISM && (!env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD)) {
        ctx.addIssue({
          code: 'custom',
          path: ['KAFKA_SASL_USERNAME'],
          message: 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM',
        });
      }
      if (!env.KAFKA_SASL_MECHANISM && (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD)) {
        ctx.addIssue({
          code: 'custom',
          path: ['KAFKA_SASL_MECHANISM'],
          message: 'set plain, scram-sha-256 or scram-sha-512 to use SASL credentials',
        });
      }
      if (env.KAFKA_SSL_CA_FILE && !env.KAFKA_SSL) {
        ctx.addIssue({ code: 'custom', path: ['KAFKA_SSL'], message: 'KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true' });
      }
    })
    .transform((e): KafkaConnectionConfig => ({
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      connectionTimeoutMs: e.KAFKA_CONNECTION_TIMEOUT_MS,
      ...(e.KAFKA_SSL
        ? { ssl: { rejectUnauthorized: e.KAFKA_SSL_REJECT_UNAUTHORIZED, ...(e.KAFKA_SSL_CA_FILE ? { caFile: e.KAFKA_SSL_CA_FILE } : {}) } }
        : {}),
      ...(e.KAFKA_SASL_MECHANISM && e.KAFKA_SASL_USERNAME && e.KAFKA_SASL_PASSWORD
        ? { sasl: { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD } }
        : {}),
    }));
}
