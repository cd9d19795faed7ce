import { ConfigError } from '@phoenix/domain';
import { loadEnvironment } from './environment';

describe('gateway environment', () => {
  it('applies defaults for local development', () => {
    expect(loadEnvironment({ CONTEXT_SIGNING_SECRET: 'x'.repeat(40) }).subgraphs).toEqual({
      SUBGRAPH_BOOKINGS_URL: 'http://127.0.0.1:4001/graphql',
      SUBGRAPH_AUDIT_URL: 'http://127.0.0.1:4002/graphql',
    });
  });

  it('reports every problem at once and never echoes the secret', () => {
    let error: ConfigError | undefined;
    try {
      loadEnvironment({ PORT: '0', SUBGRAPH_AUDIT_URL: 'not a url', CONTEXT_SIGNING_SECRET: 'short-secret' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'SUBGRAPH_AUDIT_URL', 'CONTEXT_SIGNING_SECRET']);
    expect(error?.message).not.toContain('short-secret');
  });
});
