import { join } from 'node:path';
import { z } from 'zod';
import { envBoolean, envFlag, envList, parseConfig } from '@phoenix/service/config';
import { contextEnvironment } from '@phoenix/service';

/**
 * The only place the gateway reads process.env: one schema per concern, all problems at
 * once. GATEWAY_ENV picks the defaults: development opens introspection and the Apollo
 * Sandbox landing page; production closes them.
 */
const httpEnvironment = z
  .object({
    GATEWAY_ENV: z.enum(['development', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Unset: follow GATEWAY_ENV.
    GRAPHQL_INTROSPECTION: envFlag(),
    LANDING_PAGE: envFlag(),
    // Unset: any origin in development, none but the gateway's own in production.
    CORS_ORIGINS: envList().optional(),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  })
  .transform((e) => {
    const dev = e.GATEWAY_ENV === 'development';
    return {
      environment: e.GATEWAY_ENV,
      port: e.PORT,
      host: e.HOST,
      logLevel: e.LOG_LEVEL,
      introspection: e.GRAPHQL_INTROSPECTION ?? dev,
      landingPage: e.LANDING_PAGE ?? dev,
      corsOrigins: e.CORS_ORIGINS ?? (dev ? ['*'] : []),
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    };
  });

/** Where the subgraphs are; the checked-in supergraph names local URLs, which these override by subgraph name. */
const federationEnvironment = z
  .object({
    SUPERGRAPH_PATH: z.string().min(1).default(join(__dirname, 'supergraph.graphql')),
    SUBGRAPH_BOOKINGS_URL: z.url().optional(),
    SUBGRAPH_AUDIT_URL: z.url().optional(),
    SUBGRAPH_COMMANDS_URL: z.url().optional(),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    CONTEXT_TTL_SECONDS: z.coerce.number().int().min(5).max(300).default(60),
    // Identical queries in flight at once, for the same tenant, consumer and scopes, share one subgraph fetch.
    SUBGRAPH_SHARE_INFLIGHT: envBoolean(true),
  })
  .transform((e) => ({
    supergraphPath: e.SUPERGRAPH_PATH,
    urlOverrides: {
      ...(e.SUBGRAPH_BOOKINGS_URL ? { bookings: e.SUBGRAPH_BOOKINGS_URL } : {}),
      ...(e.SUBGRAPH_AUDIT_URL ? { audit: e.SUBGRAPH_AUDIT_URL } : {}),
      ...(e.SUBGRAPH_COMMANDS_URL ? { commands: e.SUBGRAPH_COMMANDS_URL } : {}),
    } as Record<string, string>,
    subgraphTimeoutMs: e.SUBGRAPH_TIMEOUT_MS,
    contextTtlSeconds: e.CONTEXT_TTL_SECONDS,
    shareInFlight: e.SUBGRAPH_SHARE_INFLIGHT,
  }));

/** Who may call: API keys from the consumers file, and/or bearer JWTs. */
const authEnvironment = z
  .object({
    CONSUMERS_FILE: z.string({ message: 'required: the consumers file (npm run consumers -- add … creates one)' }).min(1),
    API_KEY_HEADER: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'must be a lowercase header name')
      .default('x-api-key'),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    JWT_JWKS_URL: z.url().optional(),
    JWT_JWKS_FILE: z.string().min(1).optional(),
    JWT_ALGORITHMS: envList().default(['RS256', 'ES256', 'EdDSA']),
    JWT_TENANT_CLAIM: z.string().min(1).default('tenant_id'),
    JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
    // Quota and spike arrest for JWT clients that are not in the consumers file.
    JWT_DEFAULT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
    JWT_DEFAULT_PER_DAY: z.coerce.number().int().min(0).default(100_000),
    JWT_DEFAULT_SPIKE_PER_SECOND: z.coerce.number().min(0).default(20),
    JWT_DEFAULT_SPIKE_BURST: z.coerce.number().int().min(0).default(40),
  })
  .superRefine((e, ctx) => {
    const any = e.JWT_ISSUER || e.JWT_AUDIENCE || e.JWT_JWKS_URL || e.JWT_JWKS_FILE;
    if (!any) return;
    if (!e.JWT_ISSUER) ctx.addIssue({ code: 'custom', path: ['JWT_ISSUER'], message: 'required when JWTs are configured' });
    if (!e.JWT_AUDIENCE) ctx.addIssue({ code: 'custom', path: ['JWT_AUDIENCE'], message: 'required when JWTs are configured' });
    if (!e.JWT_JWKS_URL === !e.JWT_JWKS_FILE) {
      ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'set exactly one of JWT_JWKS_URL and JWT_JWKS_FILE' });
    }
  })
  .transform((e) => ({
    consumersFile: e.CONSUMERS_FILE,
    apiKeyHeader: e.API_KEY_HEADER,
    jwt:
      e.JWT_ISSUER && e.JWT_AUDIENCE
        ? {
            issuer: e.JWT_ISSUER,
            audience: e.JWT_AUDIENCE,
            ...(e.JWT_JWKS_URL ? { jwksUrl: e.JWT_JWKS_URL } : {}),
            ...(e.JWT_JWKS_FILE ? { jwksFile: e.JWT_JWKS_FILE } : {}),
            algorithms: e.JWT_ALGORITHMS,
            tenantClaim: e.JWT_TENANT_CLAIM,
            clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
            defaultLimits: {
              perMinute: e.JWT_DEFAULT_PER_MINUTE,
              perDay: e.JWT_DEFAULT_PER_DAY,
              spikeArrest: { perSecond: e.JWT_DEFAULT_SPIKE_PER_SECOND, burst: e.JWT_DEFAULT_SPIKE_BURST },
            },
          }
        : null,
  }));

/** Threat protection: every limit, each refused with its own code (docs/api.md). */
const limitsEnvironment = z
  .object({
    MAX_BODY_BYTES: z.coerce.number().int().min(256).max(10_000_000).default(100_000),
    MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(12),
    MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(15),
    MAX_ROOT_FIELDS: z.coerce.number().int().min(1).max(100).default(10),
    MAX_TOKENS: z.coerce.number().int().min(10).max(100_000).default(2_000),
    MAX_DIRECTIVES: z.coerce.number().int().min(0).max(1000).default(20),
    MAX_COST: z.coerce.number().int().min(1).max(10_000_000).default(20_000),
    MAX_BATCH: z.coerce.number().int().min(1).max(100).default(5),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(20_000),
    // Nesting of variables and extensions: real inputs (filters) nest 3 or 4 levels.
    MAX_VARIABLE_DEPTH: z.coerce.number().int().min(1).max(1000).default(32),
    // What a connection may hold before it is authenticated.
    HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).max(100_000).default(256),
  })
  .transform((e) => ({
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxDepth: e.MAX_DEPTH,
    maxAliases: e.MAX_ALIASES,
    maxRootFields: e.MAX_ROOT_FIELDS,
    maxTokens: e.MAX_TOKENS,
    maxDirectives: e.MAX_DIRECTIVES,
    maxCost: e.MAX_COST,
    maxBatch: e.MAX_BATCH,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    maxVariableDepth: e.MAX_VARIABLE_DEPTH,
    connections: {
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: e.BODY_TIMEOUT_MS,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
      maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
    },
  }));

/** Quotas and spike arrest are per consumer (consumers file); these say where counters live. */
const rateEnvironment = z
  .object({
    // Empty means unset (in-memory limits), as in most .env files.
    REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
    RATE_LIMIT_PREFIX: z.string().min(1).default('phoenix:rate:'),
    // When the shared store fails: refuse (closed) or let requests through (open).
    RATE_LIMIT_FAIL_OPEN: envBoolean(false),
  })
  .transform((e) => ({
    redisUrl: e.REDIS_URL ?? null,
    prefix: e.RATE_LIMIT_PREFIX,
    failOpen: e.RATE_LIMIT_FAIL_OPEN,
  }));

const operationsEnvironment = z
  .object({
    // Persisted operations: APQ is always on; SAFELIST_FILE + SAFELIST_MODE=enforce accept only registered operations.
    SAFELIST_FILE: z.string().min(1).optional(),
    SAFELIST_MODE: z.enum(['off', 'enforce']).default('off'),
    RESPONSE_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(30),
    RESPONSE_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
    RESPONSE_CACHE_ROOT_FIELDS: envList().default([
      'building',
      'buildings',
      'floor',
      'floors',
      'desk',
      'desks',
      'room',
      'rooms',
      'team',
      'teams',
    ]),
  })
  .superRefine((e, ctx) => {
    if (e.SAFELIST_MODE === 'enforce' && !e.SAFELIST_FILE) {
      ctx.addIssue({ code: 'custom', path: ['SAFELIST_FILE'], message: 'required when SAFELIST_MODE=enforce' });
    }
  })
  .transform((e) => ({
    safelist: { mode: e.SAFELIST_MODE, file: e.SAFELIST_FILE ?? null },
    responseCache: {
      ttlSeconds: e.RESPONSE_CACHE_TTL_SECONDS,
      maxEntries: e.RESPONSE_CACHE_MAX_ENTRIES,
      rootFields: e.RESPONSE_CACHE_ROOT_FIELDS,
    },
  }));

export function loadEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(
    {
      http: httpEnvironment,
      federation: federationEnvironment,
      context: contextEnvironment,
      auth: authEnvironment,
      limits: limitsEnvironment,
      rate: rateEnvironment,
      operations: operationsEnvironment,
    },
    env,
  );
}

export type GatewayEnvironment = ReturnType<typeof loadEnvironment>;
