import pino from 'pino';
import { createGatewayMetrics } from '../analytics';
import { accessLogPolicy } from './access-log';
import { analyticsPolicy } from './analytics';
import { fakeExchange } from './testing';

describe('analytics', () => {
  it('counts the request by consumer, operation and status, its error codes and a policy refusal', async () => {
    const metrics = createGatewayMetrics();
    const exchange = fakeExchange();
    exchange.principal = { consumerId: 'reader', tenantId: 'acme', scopes: [], limits: null, method: 'api-key' };
    exchange.status = 429;
    exchange.refusedWith = 'RATE_LIMITED';
    exchange.analytics.errorCodes.push('RATE_LIMITED');
    analyticsPolicy(metrics).onResponse?.(exchange);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/phoenix_gateway_requests_total\{consumer="reader",operation="anonymous",status="429"[^}]*\} 1/);
    expect(text).toMatch(/phoenix_gateway_errors_total\{consumer="reader",code="RATE_LIMITED"[^}]*\} 1/);
    expect(text).toMatch(/phoenix_gateway_refused_total\{consumer="reader",code="RATE_LIMITED"[^}]*\} 1/);
  });
});

describe('access log', () => {
  it('writes one line per request with ids, operation, status and codes, and nothing the client sent besides', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const exchange = fakeExchange();
    exchange.body = { query: '{ a }', variables: { email: 'ann@example.com' } };
    exchange.analytics.operationName = 'Q';
    exchange.analytics.errorCodes.push('FORBIDDEN');
    exchange.status = 403;
    accessLogPolicy(logger).onResponse?.(exchange);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'access',
      requestId: exchange.requestId,
      operationName: 'Q',
      status: 403,
      errors: ['FORBIDDEN'],
    });
    expect(JSON.stringify(lines[0])).not.toContain('ann@example.com');
  });
});
