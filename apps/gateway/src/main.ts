/**
 * Composition root of the gateway: configuration → logger, metrics → consumers and
 * authentication → rate limiter (memory, or Redis shared by every replica) → safelist →
 * the gateway server running the policy flow (flow.ts: every policy, in order) →
 * graceful shutdown.
 */
import { Redis } from 'ioredis';
import { ConfigError } from '@phoenix/service/config';
import { createLogger, onShutdownSignals } from '@phoenix/service';
import { createGatewayMetrics } from './analytics';
import { createAuthenticator } from './auth';
import { createConsumerStore } from './consumers';
import { loadEnvironment } from './environment';
import { gatewayFlow } from './flow';
import { createMemoryRateLimiter, createRedisRateLimiter } from './policies/rate-limit';
import { readManifest } from './policies/safelist';
import { createGatewayServer } from './server';

async function main(): Promise<void> {
  const config = loadEnvironment();
  const logger = createLogger({ level: config.http.logLevel, name: 'gateway' });
  const consumers = createConsumerStore(config.auth.consumersFile, logger);
  // On the request path a slow Redis must fail fast rather than queue (see rate-limit.ts).
  const redis = config.rate.redisUrl
    ? new Redis(config.rate.redisUrl, { commandTimeout: 100, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true })
    : null;
  // Without a listener, ioredis reports every failed reconnect as an unhandled error.
  let lastRedisError = 0;
  redis?.on('error', (err: Error) => {
    if (Date.now() - lastRedisError < 10_000) return;
    lastRedisError = Date.now();
    logger.warn({ err: err.message }, 'Redis error (rate limits follow RATE_LIMIT_FAIL_OPEN while it lasts)');
  });
  if (redis)
    await redis
      .connect()
      .catch((err: unknown) => logger.error({ err }, 'Redis is not reachable yet; rate limits will follow RATE_LIMIT_FAIL_OPEN'));
  const server = createGatewayServer(
    {
      config,
      logger,
      metrics: createGatewayMetrics(),
      authenticate: createAuthenticator(config.auth, consumers),
      rateLimiter: redis ? createRedisRateLimiter(redis, { prefix: config.rate.prefix }) : createMemoryRateLimiter(),
      contextKeys: config.context,
      manifest: config.operations.safelist.file ? readManifest(config.operations.safelist.file) : null,
      redis,
    },
    gatewayFlow,
  );
  const port = await server.start();
  logger.info(
    {
      port,
      environment: config.http.environment,
      consumers: consumers.size,
      rateLimits: redis ? 'redis' : 'memory',
      safelist: config.operations.safelist.mode,
    },
    'gateway listening',
  );
  onShutdownSignals(
    async () => {
      await server.stop();
      consumers.close();
      redis?.disconnect();
    },
    { timeoutMs: config.http.shutdownTimeoutMs, logger },
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`gateway: ${err.message}\n`);
  else process.stderr.write(`gateway: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
