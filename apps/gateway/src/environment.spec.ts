import { ConfigError } from '@phoenix/service/config';
import { loadEnvironment } from './environment';

const base = { CONTEXT_SIGNING_SECRET: 'x'.repeat(40), CONSUMERS_FILE: '/etc/phoenix/consumers.json' };

const problems = (env: Record<string, string>) => {
  try {
    loadEnvironment(env);
  } catch (err) {
    return (err as ConfigError).problems.map((p) => p.split(':')[0]);
  }
  throw new Error('expected a ConfigError');
};

describe('gateway environment', () => {
  it('defaults to development: introspection and the landing page on, in-memory rate limits, safelist off', () => {
    const env = loadEnvironment(base);
    expect(env.http).toMatchObject({ environment: 'development', port: 4000, introspection: true, landingPage: true, corsOrigins: ['*'] });
    expect(env.rate).toEqual({ redisUrl: null, prefix: 'phoenix:rate:', failOpen: false });
    expect(env.operations.safelist).toEqual({ mode: 'off', file: null });
    expect(env.limits).toMatchObject({ maxDepth: 12, maxAliases: 15, maxBatch: 5, maxBodyBytes: 100_000 });
    expect(env.auth.jwt).toBeNull();
  });

  it('closes introspection and the landing page in production unless asked', () => {
    expect(loadEnvironment({ ...base, GATEWAY_ENV: 'production' }).http).toMatchObject({ introspection: false, landingPage: false });
    expect(loadEnvironment({ ...base, GATEWAY_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).http.introspection).toBe(true);
    expect(loadEnvironment({ ...base, LANDING_PAGE: 'false' }).http.landingPage).toBe(false);
  });

  it('needs issuer, audience and exactly one key source once JWTs are configured', () => {
    expect(problems({ ...base, JWT_ISSUER: 'https://id.example' })).toEqual(['JWT_AUDIENCE', 'JWT_JWKS_URL']);
    expect(
      loadEnvironment({ ...base, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'phoenix', JWT_JWKS_FILE: '/k.json' }).auth.jwt,
    ).toMatchObject({
      issuer: 'https://id.example',
      tenantClaim: 'tenant_id',
    });
  });

  it('needs a safelist file to enforce one, and reports every problem at once without echoing the secret', () => {
    expect(problems({ ...base, SAFELIST_MODE: 'enforce' })).toEqual(['SAFELIST_FILE']);
    const env = { PORT: 'http', SUBGRAPH_AUDIT_URL: 'not a url', CONTEXT_SIGNING_SECRET: 'short-secret', MAX_DEPTH: '0' };
    expect(problems(env)).toEqual(['PORT', 'SUBGRAPH_AUDIT_URL', 'CONTEXT_SIGNING_SECRET.0', 'CONSUMERS_FILE', 'MAX_DEPTH']);
    try {
      loadEnvironment(env);
    } catch (err) {
      expect((err as Error).message).not.toContain('short-secret');
    }
  });

  it('bounds variable nesting and what a connection may hold before authentication, each configurable', () => {
    expect(loadEnvironment(base).limits).toMatchObject({
      maxVariableDepth: 32,
      connections: { headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxConnectionsPerIp: 256 },
    });
    const tuned = loadEnvironment({ ...base, BODY_TIMEOUT_MS: '2000', MAX_CONNECTIONS_PER_IP: '0', MAX_VARIABLE_DEPTH: '8' }).limits;
    expect(tuned).toMatchObject({ maxVariableDepth: 8, connections: { bodyTimeoutMs: 2_000, maxConnectionsPerIp: 0 } });
    expect(problems({ ...base, BODY_TIMEOUT_MS: '10', HEADERS_TIMEOUT_MS: 'soon' })).toEqual(['HEADERS_TIMEOUT_MS', 'BODY_TIMEOUT_MS']);
  });

  it('overrides subgraph URLs by subgraph name', () => {
    expect(loadEnvironment({ ...base, SUBGRAPH_BOOKINGS_URL: 'http://bookings:4001/graphql' }).federation.urlOverrides).toEqual({
      bookings: 'http://bookings:4001/graphql',
    });
  });
});
