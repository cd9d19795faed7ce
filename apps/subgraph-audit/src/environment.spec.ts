import { ConfigError } from '@phoenix/domain';
import { loadEnvironment } from './environment';

describe('subgraph-audit environment', () => {
  const secret = 'x'.repeat(32);

  it('applies defaults for local development', () => {
    const env = loadEnvironment({ CONTEXT_SIGNING_SECRET: secret });
    expect(env.http).toEqual({ PORT: 4002, LOG_LEVEL: 'info' });
    expect(env.warehouse).toMatchObject({ projectId: 'phoenix-local', datasetId: 'phoenix', jobCreationMode: 'JOB_CREATION_OPTIONAL' });
  });

  it('reports every problem at once, by variable', () => {
    const error = (() => {
      try {
        loadEnvironment({ PORT: 'http', BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:9050' });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'CONTEXT_SIGNING_SECRET', 'BIGQUERY_EMULATOR_HOST']);
    expect(error.message).toContain('must end in /bigquery/v2');
  });
});
