import { ConfigError } from '@phoenix/service/config';
import { loadEnvironment } from './environment';

describe('subgraph-bookings environment', () => {
  const secret = 'x'.repeat(32);

  it('applies defaults for local development', () => {
    const env = loadEnvironment({ CONTEXT_SIGNING_SECRET: secret });
    expect(env.http).toMatchObject({ port: 4001, host: '0.0.0.0', logLevel: 'info', maxBodyBytes: 1_000_000, introspection: true });
    expect(env.context).toEqual({ secrets: [secret] });
    expect(env.cache).toEqual({ ttlMs: 60_000, maxEntries: 100_000 });
    expect(env.warehouse).toMatchObject({ projectId: 'phoenix-local', datasetId: 'phoenix', jobCreationMode: 'JOB_CREATION_OPTIONAL' });
  });

  it('accepts several comma-separated secrets for rotation', () => {
    const env = loadEnvironment({ CONTEXT_SIGNING_SECRET: `${secret}, ${'y'.repeat(40)}` });
    expect(env.context.secrets).toEqual([secret, 'y'.repeat(40)]);
  });

  it('reports every problem at once, by variable', () => {
    const error = (() => {
      try {
        loadEnvironment({ PORT: 'http', BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:9050', REFERENCE_CACHE_TTL_MS: '-1' });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems.map((p) => p.split(':')[0])).toEqual([
      'PORT',
      'CONTEXT_SIGNING_SECRET',
      'BIGQUERY_EMULATOR_HOST',
      'REFERENCE_CACHE_TTL_MS',
    ]);
    expect(error.message).toContain('must end in /bigquery/v2');
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(() => loadEnvironment({ CONTEXT_SIGNING_SECRET: 'short' })).toThrow('CONTEXT_SIGNING_SECRET');
  });
});
