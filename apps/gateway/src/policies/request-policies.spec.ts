import pino from 'pino';
import { HttpGraphQLError } from '@phoenix/service';
import type { Principal } from '../auth';
import { acceptPolicy } from './accept';
import { authenticatePolicy, isIntrospectionOnly } from './authenticate';
import { bodyPolicy } from './connections';
import { corsPolicy } from './cors';
import { operationsPolicy } from './operations';
import { quotaPolicy } from './quota';
import type { RateDecision, RateLimiter } from './rate-limit';
import { requestIdPolicy } from './request-id';
import { safelistPolicy, sha256 } from './safelist';
import { timeoutPolicy, untilAborted } from './timeout';
import { variablesPolicy } from './variables';
import { fakeExchange } from './testing';

const silent = pino({ level: 'silent' });
const reader: Principal = {
  consumerId: 'reader',
  tenantId: 'acme',
  scopes: [],
  limits: { perMinute: 1, perDay: 0, spikeArrest: { perSecond: 0, burst: 0 } },
  method: 'api-key',
};

async function refusal(run: () => unknown): Promise<{ status: number; code: string }> {
  try {
    await run();
  } catch (err) {
    if (err instanceof HttpGraphQLError) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('not refused');
}

describe('request-id', () => {
  it('sets x-request-id and drops the internal headers a client forged', () => {
    const exchange = fakeExchange({ headers: { 'x-phoenix-context': 'forged', 'x-phoenix-tenant': 'globex', accept: '*/*' } });
    expect(requestIdPolicy().onRequest?.(exchange)).toBe('continue');
    expect(exchange.written.headers['x-request-id']).toBe(exchange.requestId);
    expect(exchange.req.headers).toEqual({ accept: '*/*' });
  });
});

describe('cors', () => {
  const cors = corsPolicy(['https://app.acme.test'], 'x-api-key');
  it('answers an allowed preflight itself with 204', () => {
    const exchange = fakeExchange({ method: 'OPTIONS', headers: { origin: 'https://app.acme.test' } });
    expect(cors.onRequest?.(exchange)).toBe('respond');
    expect([exchange.status, exchange.written.statusCode, exchange.written.ended]).toEqual([204, 204, true]);
  });
  it('refuses another origin with 403 and lets a request without Origin through', async () => {
    expect(await refusal(() => cors.onRequest?.(fakeExchange({ headers: { origin: 'https://evil.test' } })))).toEqual({
      status: 403,
      code: 'CORS_ORIGIN_NOT_ALLOWED',
    });
    expect(cors.onRequest?.(fakeExchange())).toBe('continue');
  });
});

describe('accept', () => {
  const accept = acceptPolicy({ landingPage: true });
  it('refuses a method other than GET and POST with 405', async () => {
    expect(await refusal(() => accept.onRequest?.(fakeExchange({ method: 'PUT' })))).toEqual({ status: 405, code: 'METHOD_NOT_ALLOWED' });
  });
  it('takes a GET for HTML as the landing page, and refuses HTML on a POST with 406', async () => {
    const page = fakeExchange({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    accept.onRequest?.(page);
    expect(page.landingPage).toBe(true);
    expect(await refusal(() => accept.onRequest?.(fakeExchange({ headers: { accept: 'text/html' } })))).toEqual({
      status: 406,
      code: 'BAD_REQUEST',
    });
  });
});

describe('body', () => {
  const body = bodyPolicy({ maxBytes: 20, timeoutMs: 1_000 });
  it('reads a POST body as JSON into the exchange', async () => {
    const exchange = fakeExchange({ headers: { 'content-type': 'application/json' }, body: '{"query":"{a}"}' });
    await body.onRequest?.(exchange);
    expect(exchange.body).toEqual({ query: '{a}' });
  });
  it('refuses a body over the limit with 413, also when its length is not announced', async () => {
    const exchange = fakeExchange({ headers: { 'content-type': 'application/json' }, body: `{"query":"${'a'.repeat(30)}"}` });
    expect(await refusal(() => body.onRequest?.(exchange))).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('authenticate', () => {
  const authenticate = async () => reader;
  it('sets the principal the authenticator establishes', async () => {
    const exchange = fakeExchange();
    await authenticatePolicy(authenticate, { introspection: false }).onRequest?.(exchange);
    expect(exchange.principal).toBe(reader);
    expect(exchange.anonymous).toBe(false);
  });
  it('lets introspection alone through without credentials only while introspection is on', async () => {
    const refuse = async (): Promise<Principal> => {
      throw new HttpGraphQLError(401, 'UNAUTHENTICATED', 'no key');
    };
    const on = fakeExchange();
    on.body = { query: '{ __schema { types { name } } }' };
    await authenticatePolicy(refuse, { introspection: true }).onRequest?.(on);
    expect([on.anonymous, on.principal?.consumerId, on.principal?.limits]).toEqual([true, 'phoenix-gateway', null]);
    const off = fakeExchange();
    off.body = on.body;
    expect(await refusal(() => authenticatePolicy(refuse, { introspection: false }).onRequest?.(off))).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });
  it('does not take an introspection field beside a real one for introspection', () => {
    expect(isIntrospectionOnly({ query: '{ __typename building(id: "b1") { name } }' })).toBe(false);
    expect(isIntrospectionOnly({ query: 'mutation { __typename }' })).toBe(false);
  });
});

describe('spike arrest and quota', () => {
  const limiter = (decision: RateDecision | Error): RateLimiter & { calls: number } => ({
    calls: 0,
    async check() {
      this.calls++;
      if (decision instanceof Error) throw decision;
      return decision;
    },
    close: async () => undefined,
  });
  const allowed: RateDecision = { allowed: true, policy: 'quota-minute', limit: 1, remaining: 0, resetSeconds: 30 };

  it('admits within the limits and sets the RateLimit headers', async () => {
    const exchange = fakeExchange();
    exchange.principal = reader;
    await quotaPolicy(limiter(allowed), { failOpen: false, logger: silent }).onRequest?.(exchange);
    expect(exchange.written.headers).toMatchObject({ 'ratelimit-limit': '1', 'ratelimit-remaining': '0' });
  });
  it('refuses past a limit with 429 RATE_LIMITED', async () => {
    const exchange = fakeExchange();
    exchange.principal = reader;
    const refused = { ...allowed, allowed: false, retryAfterSeconds: 30 };
    expect(await refusal(() => quotaPolicy(limiter(refused), { failOpen: false, logger: silent }).onRequest?.(exchange))).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
    });
  });
  it('refuses with 503 when the limiter cannot decide, unless it fails open', async () => {
    const down = limiter(new Error('redis down'));
    const closed = fakeExchange();
    closed.principal = reader;
    expect(await refusal(() => quotaPolicy(down, { failOpen: false, logger: silent }).onRequest?.(closed))).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
    });
    const open = fakeExchange();
    open.principal = reader;
    expect(await quotaPolicy(down, { failOpen: true, logger: silent }).onRequest?.(open)).toBe('continue');
  });
  it('counts neither anonymous requests nor consumers without limits', async () => {
    const counting = limiter(allowed);
    const anonymous = fakeExchange();
    anonymous.principal = reader;
    anonymous.anonymous = true;
    const unlimited = fakeExchange();
    unlimited.principal = { ...reader, limits: null };
    for (const e of [anonymous, unlimited]) await quotaPolicy(counting, { failOpen: false, logger: silent }).onRequest?.(e);
    expect(counting.calls).toBe(0);
  });
});

describe('operations', () => {
  const operations = operationsPolicy({ maxBatch: 2 });
  it('reads one operation, a batch, or a GET query string', () => {
    const single = fakeExchange();
    single.body = { query: '{a}' };
    operations.onRequest?.(single);
    expect([single.operations, single.batch]).toEqual([[{ query: '{a}' }], false]);
    const batch = fakeExchange();
    batch.body = [{ query: '{a}' }, { query: '{b}' }];
    operations.onRequest?.(batch);
    expect([batch.operations?.length, batch.batch]).toEqual([2, true]);
    const get = fakeExchange({ method: 'GET', url: '/graphql?query=%7Ba%7D&variables=%7B%22x%22%3A1%7D' });
    operations.onRequest?.(get);
    expect(get.operations).toEqual([{ query: '{a}', variables: { x: 1 } }]);
  });
  it('refuses a batch over MAX_BATCH, and a batch with one malformed operation before any runs', async () => {
    const big = fakeExchange();
    big.body = [{ query: '{a}' }, { query: '{b}' }, { query: '{c}' }];
    expect(await refusal(() => operations.onRequest?.(big))).toEqual({ status: 400, code: 'BATCH_LIMIT_EXCEEDED' });
    const malformed = fakeExchange();
    malformed.body = [{ query: '{a}' }, { query: 1 }];
    expect(await refusal(() => operations.onRequest?.(malformed))).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(malformed.operations).toBeNull();
  });
});

describe('variables', () => {
  it('refuses values nested deeper than the limit in any operation, also in extensions', async () => {
    const exchange = fakeExchange();
    exchange.operations = [{ query: '{a}' }, { query: '{b}', extensions: { a: { b: { c: {} } } } }];
    expect(await refusal(() => variablesPolicy({ maxDepth: 3 }).onRequest?.(exchange))).toEqual({
      status: 400,
      code: 'MAX_VARIABLE_DEPTH_EXCEEDED',
    });
    exchange.operations = [{ query: '{b}', variables: { a: { b: {} } } }];
    expect(variablesPolicy({ maxDepth: 3 }).onRequest?.(exchange)).toBe('continue');
  });
});

describe('safelist', () => {
  const body = 'query Known { a }';
  const manifest = {
    format: 'apollo-persisted-query-manifest' as const,
    version: 1 as const,
    operations: [{ id: sha256(body), name: 'Known', type: 'query' as const, body }],
  };
  it('turns a registered id into its text in every operation, and refuses anything else in enforce mode', async () => {
    const policy = safelistPolicy({ mode: 'enforce', manifest });
    const exchange = fakeExchange();
    exchange.operations = [{ id: sha256(body) }, { query: body }];
    policy.onRequest?.(exchange);
    expect(exchange.operations.map((op) => op['query'])).toEqual([body, body]);
    const unknown = fakeExchange();
    unknown.operations = [{ query: body }, { query: '{ other }' }];
    expect(await refusal(() => policy.onRequest?.(unknown))).toEqual({ status: 400, code: 'OPERATION_NOT_IN_SAFELIST' });
  });
});

describe('timeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('aborts the exchange with 504 REQUEST_TIMEOUT once the time is up, and stops the route waiting', async () => {
    const policy = timeoutPolicy({ ms: 300 });
    const exchange = fakeExchange();
    policy.onRequest?.(exchange);
    const waiting = untilAborted(new Promise(() => undefined), exchange.abort.signal);
    jest.advanceTimersByTime(300);
    expect(await refusal(() => waiting)).toEqual({ status: 504, code: 'REQUEST_TIMEOUT' });
  });
  it('clears its timer when the answer is sent', () => {
    const policy = timeoutPolicy({ ms: 300 });
    const exchange = fakeExchange();
    policy.onRequest?.(exchange);
    policy.onResponse?.(exchange);
    jest.advanceTimersByTime(1_000);
    expect(exchange.abort.signal.aborted).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});
