import type { IncomingMessage } from 'node:http';
import pino from 'pino';
import { CONTEXT_HEADER, signContext, type RequestContext } from '@phoenix/access';
import { param, sql, type Statement, type Warehouse } from '@phoenix/bq';
import { HttpGraphQLError } from '@phoenix/service';
import { authenticate, createContext, requireScope } from './context';
import { createSubgraphMetrics } from './metrics';

const keys = { secrets: ['s'.repeat(32)] };
const auth: RequestContext = { tenantId: 'acme', consumerId: 'app', scopes: ['bookings:read'], requestId: 'req-1', exp: 0 };
const request = (header?: string) => ({ headers: header === undefined ? {} : { [CONTEXT_HEADER]: header } }) as unknown as IncomingMessage;

describe('authenticate', () => {
  const now = Math.floor(Date.now() / 1000);

  it('returns the signed context', () => {
    const header = signContext({ ...auth, exp: now + 60 }, keys);
    expect(authenticate(request(header), keys)).toMatchObject({ tenantId: 'acme', requestId: 'req-1' });
  });

  it.each([
    ['missing', undefined, 'CONTEXT_MISSING'],
    ['forged', signContext({ ...auth, exp: now + 60 }, { secrets: ['x'.repeat(32)] }), 'CONTEXT_BAD_SIGNATURE'],
    ['expired', signContext({ ...auth, exp: now - 60 }, keys), 'CONTEXT_EXPIRED'],
    ['malformed', 'v1.garbage', 'CONTEXT_MALFORMED'],
  ])('refuses a %s context with 401 UNAUTHENTICATED and the reason', (_name, header, reason) => {
    let error: unknown;
    try {
      authenticate(request(header), keys);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HttpGraphQLError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((error as Error).message).toContain(reason);
  });
});

describe('the per-request warehouse', () => {
  const statement = (tenant: string | null): Statement => ({
    sql: sql`SELECT 1`,
    params: tenant === null ? {} : { tenant: param.string(tenant) },
  });
  const warehouse = { query: jest.fn(async () => [{ ok: 1 }]) } as unknown as Warehouse;
  const ctx = () => createContext({ auth, warehouse, logger: pino({ level: 'silent' }), metrics: createSubgraphMetrics('test') });

  it('runs reads scoped to the signed tenant and counts them', async () => {
    const c = ctx();
    await c.db.query('load:desk', statement('acme'));
    await c.db.query('load:floor', statement('acme'));
    expect(c.db.queries).toEqual(['load:desk', 'load:floor']);
  });

  it('refuses a read for another tenant or without a tenant before it reaches the warehouse', async () => {
    const c = ctx();
    (warehouse.query as jest.Mock).mockClear();
    await expect(c.db.query('load:desk', statement('globex'))).rejects.toThrow("not scoped to the request's tenant");
    await expect(c.db.query('load:desk', statement(null))).rejects.toThrow("not scoped to the request's tenant");
    expect(warehouse.query).not.toHaveBeenCalled();
    expect(c.db.queries).toEqual([]);
  });

  it('memoises per request', () => {
    const c = ctx();
    const a = c.memo('x', () => ({}));
    expect(c.memo('x', () => ({}))).toBe(a);
    expect(ctx().memo('x', () => ({}))).not.toBe(a);
  });

  it('requireScope throws FORBIDDEN naming the scope', () => {
    expect(() => requireScope(ctx(), 'people:read', 'Member.email')).toThrow('Member.email needs the "people:read" scope');
    expect(() => requireScope(ctx(), 'bookings:read', 'x')).not.toThrow();
  });
});
