import { ConfigError } from '@phoenix/service/config';
import { loadEnvironment } from './environment';

describe('subgraph-audit environment', () => {
  const secret = 'x'.repeat(32);

  it('applies defaults for local development', () => {
    const env = loadEnvironment({ CONTEXT_SIGNING_SECRET: secret });
    expect(env.http).toMatchObject({ port: 4002, logLevel: 'info' });
    expect(env.changeFeed).toEqual({ clockSkewMs: 1_000, cacheMs: 1_000 });
    expect(env.warehouse).toMatchObject({ projectId: 'phoenix-local', datasetId: 'phoenix' });
  });

  it('reports every problem at once, by variable', () => {
    let error: ConfigError | undefined;
    try {
      loadEnvironment({ PORT: '70000', CHANGE_FEED_SETTLE_MS: 'soon' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'CONTEXT_SIGNING_SECRET', 'CHANGE_FEED_SETTLE_MS']);
  });
});
