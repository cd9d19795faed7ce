import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { SCOPES } from '@phoenix/domain';
import { CONTEXT_HEADER, signContext } from '@phoenix/access';
import type { Warehouse } from '@phoenix/bq';
import { dropTestDataset } from '@phoenix/bq/testing';
import { createRedisRateLimiter } from '../src/policies/rate-limit';
import { consumer, dir, post, seededWarehouse, startGateway, startSubgraphs, writeConsumers } from './support';

const BUILDING = '{ building(id: "b1") { name } }';

describe('the gateway in front of the real subgraphs', () => {
  let warehouse: Warehouse;
  let subgraphs: Awaited<ReturnType<typeof startSubgraphs>>;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let privateKey: CryptoKey;
  const consumersFile = join(dir, 'consumers.json');
  const reader = consumer('reader', [SCOPES.read]);
  const auditor = consumer('auditor', [SCOPES.read, SCOPES.history, SCOPES.personalData]);
  const limited = consumer('limited', [SCOPES.read], { perMinute: 3 });
  const spiky = consumer('spiky', [SCOPES.read], { spikeArrest: { perSecond: 2, burst: 2 } });
  const revoked = consumer('revoked', [SCOPES.read]);
  const env = () => ({
    ...subgraphs.urls,
    CONSUMERS_FILE: consumersFile,
    JWT_ISSUER: 'https://id.phoenix.test',
    JWT_AUDIENCE: 'phoenix-api',
    JWT_JWKS_FILE: join(dir, 'jwks.json'),
    CORS_ORIGINS: 'https://app.acme.test',
    MAX_DEPTH: '6',
    MAX_ALIASES: '3',
    MAX_ROOT_FIELDS: '4',
    MAX_TOKENS: '400',
    MAX_COST: '600',
    MAX_BATCH: '2',
    MAX_BODY_BYTES: '4000',
  });
  const as = (c: { key: string }) => ({ 'x-api-key': c.key });

  beforeAll(async () => {
    warehouse = await seededWarehouse();
    subgraphs = await startSubgraphs(warehouse.config.datasetId);
    writeConsumers(consumersFile, [reader, auditor, limited, spiky, revoked]);
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] }));
    gateway = await startGateway(env());
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.stop();
    await dropTestDataset(warehouse);
  });

  describe('VerifyAPIKey and VerifyJWT', () => {
    it('serves a consumer with a valid key, for its own tenant', async () => {
      const res = await post(gateway.url, { query: BUILDING }, as(reader));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { building: { name: 'Acme HQ' } } });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it.each([
      ['no credentials', {}, /send an API key/],
      ['a malformed key', { 'x-api-key': 'let-me-in' }, /not valid/],
      ['a wrong key', { 'x-api-key': `${reader.key.slice(0, -3)}abc` }, /not valid/],
    ])('refuses %s with 401 and WWW-Authenticate', async (_name, headers, message) => {
      const res = await post(gateway.url, { query: BUILDING }, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/realm="phoenix"/);
      expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
      expect(res.body.errors?.[0]?.message).toMatch(message);
    });

    it('refuses a key once it is revoked in the consumers file, without a restart', async () => {
      expect((await post(gateway.url, { query: BUILDING }, as(revoked))).status).toBe(200);
      const file = JSON.parse(readFileSync(consumersFile, 'utf8')) as { consumers: { id: string; keys: { revokedAt?: string }[] }[] };
      for (const c of file.consumers) if (c.id === 'revoked') for (const k of c.keys) k.revokedAt = new Date().toISOString();
      writeFileSync(consumersFile, JSON.stringify(file));
      const deadline = Date.now() + 5_000;
      let res = await post(gateway.url, { query: BUILDING }, as(revoked));
      while (res.status === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        res = await post(gateway.url, { query: BUILDING }, as(revoked));
      }
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]?.message).toMatch(/revoked/);
    });

    const token = (claims: Record<string, unknown>, options: { exp?: string | number; audience?: string; key?: CryptoKey } = {}) =>
      new SignJWT({ tenant_id: 'acme', scope: `${SCOPES.read}`, azp: 'mobile-app', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('https://id.phoenix.test')
        .setAudience(options.audience ?? 'phoenix-api')
        .setIssuedAt()
        .setExpirationTime(options.exp ?? '5m')
        .sign(options.key ?? privateKey);

    it('accepts a valid bearer JWT, taking tenant and scopes from its claims', async () => {
      const ok = await post(gateway.url, { query: BUILDING }, { authorization: `Bearer ${await token({})}` });
      expect(ok.body).toEqual({ data: { building: { name: 'Acme HQ' } } });
      const globex = await post(gateway.url, { query: BUILDING }, { authorization: `Bearer ${await token({ tenant_id: 'globex' })}` });
      expect(globex.body).toEqual({ data: { building: { name: 'Globex Tower' } } });
      // Azure AD sends scp as a space-separated string; the client is not in the consumers file, so default limits apply.
      const azure = await post(
        gateway.url,
        { query: BUILDING },
        { authorization: `Bearer ${await token({ scope: undefined, scp: SCOPES.read, azp: 'azure-app' })}` },
      );
      expect(azure.body).toEqual({ data: { building: { name: 'Acme HQ' } } });
      expect(azure.headers.get('ratelimit-limit')).not.toBeNull();
    });

    it('refuses expired, foreign-audience and wrongly signed JWTs with 401', async () => {
      const other = (await generateKeyPair('ES256')).privateKey;
      const cases = [
        [await token({}, { exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
        [await token({}, { audience: 'someone-else' }), /aud/],
        [await token({}, { key: other }), /signature/],
        [await token({ tenant_id: 'Not A Tenant!' }), /tenant_id/],
      ] as const;
      for (const [jwt, message] of cases) {
        const res = await post(gateway.url, { query: BUILDING }, { authorization: `Bearer ${jwt}` });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="phoenix", error="invalid_token"/);
        expect(res.body.errors?.[0]?.message).toMatch(message);
      }
    });
  });

  describe('authorization by scope', () => {
    it('refuses an operation that needs a scope the consumer lacks with 403 and no data', async () => {
      const res = await post(gateway.url, { query: '{ deskBooking(id: "dbk1") { status history { nodes { eventType } } } }' }, as(reader));
      expect(res.status).toBe(403);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', missingScopes: [SCOPES.history] });
      const personal = await post(gateway.url, { query: '{ member(id: "m1") { email } }' }, as(reader));
      expect(personal.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', missingScopes: [SCOPES.personalData] });
    });

    it('lets a consumer with the scopes join present and past', async () => {
      const res = await post(
        gateway.url,
        { query: '{ deskBooking(id: "dbk1") { status member { email } history { nodes { eventType } } } }' },
        as(auditor),
      );
      expect(res.body).toEqual({
        data: {
          deskBooking: {
            status: 'BOOKED',
            member: { email: 'ann@example.com' },
            history: { nodes: [{ eventType: 'phoenix.desk_booking.created' }] },
          },
        },
      });
    });

    it('ignores internal headers a client forges: the tenant is the consumer’s', async () => {
      const forged = signContext(
        { tenantId: 'globex', consumerId: 'evil', scopes: Object.values(SCOPES), requestId: 'x', exp: Math.floor(Date.now() / 1000) + 60 },
        { secrets: ['a-guessed-secret-that-is-long-enough!!'] },
      );
      const res = await post(gateway.url, { query: BUILDING }, { ...as(reader), [CONTEXT_HEADER]: forged, 'x-phoenix-tenant': 'globex' });
      expect(res.body).toEqual({ data: { building: { name: 'Acme HQ' } } });
    });

    it('reads another tenant’s ids as missing', async () => {
      const globexReader = consumer('globex-reader', [SCOPES.read], {}, 'globex');
      writeConsumers(consumersFile, [reader, auditor, limited, spiky, revoked, globexReader]);
      await new Promise((r) => setTimeout(r, 1_500));
      const res = await post(gateway.url, { query: '{ deskBooking(id: "dbk1") { id } building(id: "b1") { name } }' }, as(globexReader));
      expect(res.body).toEqual({ data: { deskBooking: null, building: { name: 'Globex Tower' } } });
    });

    it('shares identical in-flight subgraph reads, but never across tenants', async () => {
      const globexReader = consumer('globex-sharer', [SCOPES.read], {}, 'globex');
      writeConsumers(consumersFile, [reader, auditor, limited, spiky, revoked, globexReader]);
      await new Promise((r) => setTimeout(r, 1_500));
      const fetches = async () => {
        const text = await (await fetch(`${gateway.url}/metrics`)).text();
        return [...text.matchAll(/phoenix_gateway_subgraph_request_duration_seconds_count\{[^}]*subgraph="bookings"[^}]*\} (\d+)/g)].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
      };
      const before = await fetches();
      const query = '{ building(id: "b1") { name city } }';
      const answers = await Promise.all([
        ...Array.from({ length: 10 }, () => post(gateway.url, { query }, as(reader))),
        ...Array.from({ length: 10 }, () => post(gateway.url, { query }, as(globexReader))),
      ]);
      expect(answers.slice(0, 10).map((a) => a.body.data?.['building'])).toEqual(Array(10).fill({ name: 'Acme HQ', city: 'Berlin' }));
      expect(answers.slice(10).map((a) => a.body.data?.['building'])).toEqual(Array(10).fill({ name: 'Globex Tower', city: 'Berlin' }));
      const used = (await fetches()) - before;
      expect(used).toBeGreaterThanOrEqual(2);
      expect(used).toBeLessThan(20);
    });
  });

  describe('Quota and SpikeArrest', () => {
    it('answers 429 with Retry-After and RateLimit headers once the minute quota is used up', async () => {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await post(gateway.url, { query: BUILDING }, as(limited)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
      expect(answers[0]?.headers.get('ratelimit-limit')).toBe('3');
      expect(answers[2]?.headers.get('ratelimit-remaining')).toBe('0');
      const refused = answers[3] as (typeof answers)[0];
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body.errors?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
      expect(refused.body.errors?.[0]?.message).toMatch(/per-minute quota of 3 exceeded/);
    });

    it('smooths bursts and recovers after the refill', async () => {
      const burst = await Promise.all([1, 2, 3].map(() => post(gateway.url, { query: BUILDING }, as(spiky))));
      expect(burst.map((a) => a.status).sort()).toEqual([200, 200, 429]);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await post(gateway.url, { query: BUILDING }, as(spiky))).status).toBe(200);
    });

    it('holds a quota across two gateway replicas sharing Redis', async () => {
      const shared = consumer('shared', [SCOPES.read], { perMinute: 5 });
      const file = join(dir, 'consumers-shared.json');
      writeConsumers(file, [shared]);
      const redisA = new Redis(process.env['REDIS_URL'] as string);
      const redisB = new Redis(process.env['REDIS_URL'] as string);
      const prefix = `it-gateway-${Date.now()}:`;
      const a = await startGateway({ ...env(), CONSUMERS_FILE: file }, { rateLimiter: createRedisRateLimiter(redisA, { prefix }) });
      const b = await startGateway({ ...env(), CONSUMERS_FILE: file }, { rateLimiter: createRedisRateLimiter(redisB, { prefix }) });
      try {
        const statuses = [];
        for (let i = 0; i < 8; i++) statuses.push((await post(i % 2 ? a.url : b.url, { query: BUILDING }, as(shared))).status);
        expect(statuses.filter((s) => s === 200)).toHaveLength(5);
        expect(statuses.slice(5)).toEqual([429, 429, 429]);
      } finally {
        await a.close();
        await b.close();
        const keys = await redisA.keys(`${prefix}*`);
        if (keys.length > 0) await redisA.del(...keys);
        redisA.disconnect();
        redisB.disconnect();
      }
    });
  });

  describe('threat protection: every limit crossed', () => {
    it.each([
      // Limits are measured on a valid operation: an invalid one is GRAPHQL_VALIDATION_FAILED first.
      [
        'a depth bomb',
        { query: '{ deskBooking(id: "dbk1") { desk { floor { building { history { nodes { validFrom } } } } } } }' },
        400,
        'MAX_DEPTH_EXCEEDED',
      ],
      [
        'an alias bomb',
        {
          query:
            '{ a: building(id: "b1") { name } b: building(id: "b1") { name } c: building(id: "b1") { name } d: building(id: "b1") { name } }',
        },
        400,
        'MAX_ALIASES_EXCEEDED',
      ],
      [
        'too many root fields',
        {
          query:
            '{ building(id: "b1") { name } floor(id: "f1") { name } desk(id: "d1") { label } room(id: "x") { name } team(id: "x") { name } }',
        },
        400,
        'MAX_ROOT_FIELDS_EXCEEDED',
      ],
      ['a token flood', { query: `{ building(id: "b1") { ${'name '.repeat(450)} } }` }, 400, 'MAX_TOKENS_EXCEEDED'],
      [
        'a costly query',
        { query: '{ deskBookings(first: 100) { nodes { desk { floor { building { name } } } member { id } } } }' },
        400,
        'MAX_COST_EXCEEDED',
      ],
      [
        'the same query with its page size in a variable',
        {
          query: 'query Q($n: Int) { deskBookings(first: $n) { nodes { desk { floor { building { name } } } member { id } } } }',
          variables: { n: 100 },
        },
        400,
        'MAX_COST_EXCEEDED',
      ],
    ])('refuses %s with its own code', async (_name, body, status, code) => {
      const res = await post(gateway.url, body, as(auditor));
      expect([res.status, res.body.errors?.[0]?.extensions?.['code']]).toEqual([status, code]);
    });

    it('refuses an oversized body with 413 and a batch over the limit with 400', async () => {
      const big = await post(gateway.url, { query: BUILDING, variables: { padding: 'x'.repeat(5_000) } }, as(auditor));
      expect([big.status, big.body.errors?.[0]?.extensions?.['code']]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const batch = await post(gateway.url, [{ query: BUILDING }, { query: BUILDING }, { query: BUILDING }], as(auditor));
      expect([batch.status, batch.body.errors?.[0]?.extensions?.['code']]).toEqual([400, 'BATCH_LIMIT_EXCEEDED']);
      const ok = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...as(auditor) },
        body: JSON.stringify([{ query: BUILDING }, { query: BUILDING }]),
      });
      expect(await ok.json()).toEqual([{ data: { building: { name: 'Acme HQ' } } }, { data: { building: { name: 'Acme HQ' } } }]);
    });
  });

  describe('persisted operations and caching', () => {
    it('supports automatic persisted queries', async () => {
      const query = '{ building(id: "b1") { city } }';
      const hash = createHash('sha256').update(query).digest('hex');
      const apq = { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
      const unknown = await post(gateway.url, apq, as(reader));
      expect(unknown.body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
      await post(gateway.url, { query, ...apq }, as(reader));
      expect((await post(gateway.url, apq, as(reader))).body).toEqual({ data: { building: { city: 'Berlin' } } });
    });

    it('keeps cached answers apart for different queries sent by hash alone', async () => {
      const register = async (query: string) => {
        const sha256Hash = createHash('sha256').update(query).digest('hex');
        await post(gateway.url, { query, extensions: { persistedQuery: { version: 1, sha256Hash } } }, as(reader));
        return { extensions: { persistedQuery: { version: 1, sha256Hash } } };
      };
      const buildings = await register('{ buildings { nodes { name } } }');
      const floors = await register('{ floors { nodes { name } } }');
      expect((await post(gateway.url, buildings, as(reader))).body).toEqual({ data: { buildings: { nodes: [{ name: 'Acme HQ' }] } } });
      expect((await post(gateway.url, floors, as(reader))).body).toEqual({ data: { floors: { nodes: [{ name: 'Ground' }] } } });
    });

    it('accepts only registered operations in safelist mode', async () => {
      const body = 'query BuildingName { building(id: "b1") { name } }';
      const id = createHash('sha256').update(body).digest('hex');
      const manifest = join(dir, 'safelist.json');
      writeFileSync(
        manifest,
        JSON.stringify({
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [{ id, name: 'BuildingName', type: 'query', body }],
        }),
      );
      const strict = await startGateway({ ...env(), SAFELIST_MODE: 'enforce', SAFELIST_FILE: manifest });
      try {
        const byId = await post(strict.url, { id }, as(reader));
        expect(byId.body).toEqual({ data: { building: { name: 'Acme HQ' } } });
        const sameText = await post(strict.url, { query: body }, as(reader));
        expect(sameText.status).toBe(200);
        const other = await post(strict.url, { query: '{ building(id: "b1") { city } }' }, as(reader));
        expect([other.status, other.body.errors?.[0]?.extensions?.['code']]).toEqual([400, 'OPERATION_NOT_IN_SAFELIST']);
      } finally {
        await strict.close();
      }
    });

    it('answers cacheable reference queries from the cache, per tenant', async () => {
      const query = '{ buildings { nodes { name countryCode } } }';
      const first = await post(gateway.url, { query }, as(reader));
      const second = await post(gateway.url, { query }, as(reader));
      expect([first.headers.get('x-phoenix-cache'), second.headers.get('x-phoenix-cache')]).toEqual(['miss', 'hit']);
      expect(second.body).toEqual(first.body);
      const booking = await post(gateway.url, { query: '{ deskBooking(id: "dbk1") { id } }' }, as(reader));
      expect(booking.headers.get('x-phoenix-cache')).toBeNull();
    });
  });

  describe('errors from the subgraphs', () => {
    it('passes a bad argument the subgraph caught through with its code', async () => {
      const query = 'query($from: DateTime, $to: DateTime) { deskBookings(filter: { from: $from, to: $to }) { nodes { id } } }';
      const variables = { from: '2026-01-07T00:00:00Z', to: '2026-01-06T00:00:00Z' };
      const res = await post(gateway.url, { query, variables }, as(reader));
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'filter.to', serviceName: 'bookings' });
      expect(res.body.errors?.[0]?.message).toMatch(/must be after filter.from/);
    });

    it('refuses a DateTime that is not a timestamp itself, before any subgraph is called', async () => {
      const query = 'query($from: DateTime) { deskBookings(filter: { from: $from }) { nodes { id } } }';
      const res = await post(gateway.url, { query, variables: { from: '2026-01-07' } }, as(reader));
      expect([res.status, res.body.errors?.[0]?.extensions?.['code']]).toEqual([400, 'BAD_USER_INPUT']);
      expect(res.body.errors?.[0]?.message).toMatch(/DateTime must be an RFC 3339 timestamp/);
    });

    it('masks a subgraph refusing the gateway (secret mismatch) and leaks nothing of it', async () => {
      const misconfigured = await startGateway({ ...env(), CONTEXT_SIGNING_SECRET: 'a-different-secret-0123456789abcdefghij' });
      try {
        const res = await post(misconfigured.url, { query: BUILDING }, as(reader));
        expect(res.body.errors?.[0]?.extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
        expect(JSON.stringify(res.body)).not.toMatch(/signature|x-phoenix-context|401|response/i);
      } finally {
        await misconfigured.close();
      }
    });

    it('answers 504 REQUEST_TIMEOUT when the request runs out of time, and stops the subgraph call it was waiting for', async () => {
      // A slow link in front of the real bookings subgraph: it forwards each call after 3 s,
      // unless the gateway hangs up first.
      const calls: { abandoned: boolean }[] = [];
      const target = new URL(subgraphs.urls['SUBGRAPH_BOOKINGS_URL'] as string);
      const slow = createServer((req, res) => {
        const call = { abandoned: false };
        calls.push(call);
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        let timer: NodeJS.Timeout | undefined;
        res.on('close', () => {
          call.abandoned = !res.writableEnded;
          // A pending forward would hold the test process open for 3 s after the run.
          clearTimeout(timer);
        });
        req.on('end', () => {
          timer = setTimeout(() => {
            if (call.abandoned) return;
            const upstream = httpRequest(target, { method: 'POST', headers: req.headers }, (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            });
            upstream.end(Buffer.concat(chunks));
          }, 3_000);
        });
      });
      await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
      const impatient = await startGateway({
        ...env(),
        SUBGRAPH_BOOKINGS_URL: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/graphql`,
        REQUEST_TIMEOUT_MS: '300',
      });
      try {
        const started = Date.now();
        const res = await post(impatient.url, { query: BUILDING }, as(reader));
        expect([res.status, res.body.errors?.[0]?.extensions?.['code']]).toEqual([504, 'REQUEST_TIMEOUT']);
        expect(Date.now() - started).toBeLessThan(2_000);
        // The call to the subgraph was dropped, not left to run for 3 s more.
        await new Promise((r) => setTimeout(r, 200));
        expect(calls).toEqual([{ abandoned: true }]);
      } finally {
        await impatient.close();
        await new Promise((r) => slow.close(r));
      }
    });
  });

  describe('CORS, introspection, operations surface', () => {
    it('answers an allowed preflight and refuses another origin', async () => {
      const preflight = (origin: string) =>
        fetch(`${gateway.url}/graphql`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
        });
      const ok = await preflight('https://app.acme.test');
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.acme.test');
      expect(ok.headers.get('access-control-allow-headers')).toContain('x-api-key');
      const denied = await preflight('https://evil.test');
      expect(denied.status).toBe(403);
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('keeps introspection off in production', async () => {
      const res = await post(gateway.url, { query: '{ __schema { queryType { name } } }' }, as(reader));
      expect(res.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.body.errors?.[0]?.message).toMatch(/introspection/i);
    });

    it('reports readiness from the subgraphs and exposes analytics per consumer', async () => {
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toMatch(/phoenix_gateway_requests_total\{[^}]*consumer="reader"[^}]*status="200"/);
      expect(metrics).toMatch(/phoenix_gateway_errors_total\{[^}]*consumer="limited"[^}]*code="RATE_LIMITED"/);
      expect(metrics).toMatch(/phoenix_gateway_subgraph_request_duration_seconds_count\{[^}]*subgraph="bookings"/);
    });
  });
});
