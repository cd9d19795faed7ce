import { ConfigError } from '@phoenix/service/config';
import { loadEnvironment } from './environment';

describe('subgraph-commands environment', () => {
  const secret = 'x'.repeat(32);

  it('applies defaults for local development', () => {
    const env = loadEnvironment({ CONTEXT_SIGNING_SECRET: secret });
    expect(env.http).toMatchObject({ port: 4003, host: '0.0.0.0' });
    expect(env.kafka).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'phoenix-commands', connectionTimeoutMs: 3000 });
    expect(env.writes).toEqual({
      topic: 'phoenix.events',
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'phoenix:writes:',
      produceTimeoutMs: 5000,
      idempotencyTtlSeconds: 86_400,
      claimTtlSeconds: 3600,
      maxBatchEvents: 500,
      maxWaitMs: 10_000,
      pastToleranceMs: 900_000,
    });
  });

  it('reports every problem at once, by variable', () => {
    const error = (() => {
      try {
        loadEnvironment({ REDIS_URL: 'localhost:6379', MAX_BATCH_EVENTS: '5000', PRODUCE_TIMEOUT_MS: '10', KAFKA_BROKERS: 'nohost' });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['CONTEXT_SIGNING_SECRET', 'KAFKA_BROKERS.0', 'MAX_BATCH_EVENTS', 'PRODUCE_TIMEOUT_MS', 'REDIS_URL'].sort(),
    );
  });
});
