import { createHash } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { SCOPES } from '@phoenix/domain';
import type { Warehouse } from '@phoenix/bq';
import { dropTestDataset } from '@phoenix/bq/testing';
import {
  consumer,
  dir,
  post,
  postRaw,
  seededWarehouse,
  startGateway,
  startSubgraphs,
  upstreamLink,
  writeConsumers,
  type Answer,
} from './support';

/**
 * Client mistakes are coded 4xx, never 500; limits cannot be sidestepped; a connection
 * cannot be held before authentication; subgraph outages are retryable. Each refused
 * request is checked to have cost no subgraph call (links in front of the real
 * subgraphs count them).
 */
describe('the gateway under adversarial requests', () => {
  let warehouse: Warehouse;
  let subgraphs: Awaited<ReturnType<typeof startSubgraphs>>;
  let links: Record<'bookings' | 'audit' | 'commands', Awaited<ReturnType<typeof upstreamLink>>>;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const consumersFile = join(dir, 'consumers-hardening.json');
  const reader = consumer('hardening-reader', [SCOPES.read]);
  const auditor = consumer('hardening-auditor', [SCOPES.read, SCOPES.history, SCOPES.personalData]);
  const as = (c: { key: string }) => ({ 'x-api-key': c.key });
  const env = () => ({
    SUBGRAPH_BOOKINGS_URL: links.bookings.url,
    SUBGRAPH_AUDIT_URL: links.audit.url,
    SUBGRAPH_COMMANDS_URL: links.commands.url,
    CONSUMERS_FILE: consumersFile,
    GRAPHQL_INTROSPECTION: 'true',
    MAX_DEPTH: '6',
    MAX_ALIASES: '3',
    MAX_ROOT_FIELDS: '4',
    MAX_DIRECTIVES: '4',
    MAX_COST: '600',
    MAX_BATCH: '3',
    MAX_BODY_BYTES: '20000',
    BODY_TIMEOUT_MS: '1000',
    HEADERS_TIMEOUT_MS: '1000',
    KEEP_ALIVE_TIMEOUT_MS: '1000',
  });
  const calls = () => links.bookings.calls + links.audit.calls;
  const codeOf = (a: Answer) => [a.status, a.body.errors?.[0]?.extensions?.['code']];
  /** Sends the request and checks that it was refused with `status` and `code` and that no subgraph was called. */
  const refusedWithoutCall = async (send: () => Promise<Answer>, status: number, code: string) => {
    const before = calls();
    const answer = await send();
    expect(codeOf(answer)).toEqual([status, code]);
    expect(calls() - before).toBe(0);
    return answer;
  };

  beforeAll(async () => {
    warehouse = await seededWarehouse();
    subgraphs = await startSubgraphs(warehouse.config.datasetId);
    links = {
      bookings: await upstreamLink(subgraphs.urls['SUBGRAPH_BOOKINGS_URL'] as string),
      audit: await upstreamLink(subgraphs.urls['SUBGRAPH_AUDIT_URL'] as string),
      commands: await upstreamLink(subgraphs.urls['SUBGRAPH_COMMANDS_URL'] as string),
    };
    writeConsumers(consumersFile, [reader, auditor]);
    gateway = await startGateway(env());
  }, 120_000);

  afterEach(() => {
    links.bookings.mode = 'pass';
    links.audit.mode = 'pass';
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([links?.bookings.close(), links?.audit.close(), links?.commands.close()]);
    await subgraphs?.stop();
    await dropTestDataset(warehouse);
  });

  describe('choosing the operation', () => {
    const TWO = 'query A { buildings { nodes { id } } } query B { teams { nodes { id } } }';

    it('answers an unknown operationName, or several operations without one, with 400 OPERATION_RESOLUTION_FAILURE', async () => {
      const unknown = await refusedWithoutCall(
        () => post(gateway.url, { query: TWO, operationName: 'C' }, as(reader)),
        400,
        'OPERATION_RESOLUTION_FAILURE',
      );
      expect(unknown.body.errors?.[0]?.message).toMatch(/no operation named "C"/);
      await refusedWithoutCall(() => post(gateway.url, { query: TWO }, as(reader)), 400, 'OPERATION_RESOLUTION_FAILURE');
      const ok = await post(gateway.url, { query: TWO, operationName: 'B' }, as(reader));
      expect(ok.body).toEqual({ data: { teams: { nodes: [] } } });
    });

    it('does the same for GET and for introspection without a key', async () => {
      const get = await refusedWithoutCall(
        async () => {
          const res = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent(TWO)}&operationName=Nope`, {
            headers: { ...as(reader), 'apollo-require-preflight': 'true' },
          });
          return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
        },
        400,
        'OPERATION_RESOLUTION_FAILURE',
      );
      expect(get.body.errors).toHaveLength(1);
      await refusedWithoutCall(
        () => post(gateway.url, { query: 'query A { __typename } query B { __schema { queryType { name } } }' }),
        400,
        'OPERATION_RESOLUTION_FAILURE',
      );
      await refusedWithoutCall(
        () => post(gateway.url, { query: 'query A { __typename }', operationName: 'B' }),
        400,
        'OPERATION_RESOLUTION_FAILURE',
      );
    });

    it('refuses an operation type the API does not have (subscription) with 400 GRAPHQL_VALIDATION_FAILED', async () => {
      await refusedWithoutCall(
        () => post(gateway.url, { query: 'subscription { __typename }' }, as(reader)),
        400,
        'GRAPHQL_VALIDATION_FAILED',
      );
    });
  });

  describe('variables', () => {
    const CACHEABLE = '{ buildings { nodes { id } } }';
    const deep = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

    it('refuses variables nested 5,000 levels deep (a 10 kB body) with 400 MAX_VARIABLE_DEPTH_EXCEEDED', async () => {
      const body = `{"query":"${CACHEABLE}","variables":{"x":${deep(5_000)}}}`;
      expect(body.length).toBeLessThan(11_000);
      await refusedWithoutCall(() => postRaw(gateway.url, body, as(reader)), 400, 'MAX_VARIABLE_DEPTH_EXCEEDED');
    });

    it('refuses the same nesting moved into extensions, into a batch, or into a GET query string', async () => {
      await refusedWithoutCall(
        () => postRaw(gateway.url, `{"query":"${CACHEABLE}","extensions":{"x":${deep(200)}}}`, as(reader)),
        400,
        'MAX_VARIABLE_DEPTH_EXCEEDED',
      );
      await refusedWithoutCall(
        () => postRaw(gateway.url, `[{"query":"${CACHEABLE}"},{"query":"${CACHEABLE}","variables":{"x":${deep(200)}}}]`, as(reader)),
        400,
        'MAX_VARIABLE_DEPTH_EXCEEDED',
      );
      await refusedWithoutCall(
        async () => {
          const res = await fetch(
            `${gateway.url}/graphql?query=${encodeURIComponent(CACHEABLE)}&variables=${encodeURIComponent(`{"x":${deep(200)}}`)}`,
            {
              headers: { ...as(reader), 'apollo-require-preflight': 'true' },
            },
          );
          return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
        },
        400,
        'MAX_VARIABLE_DEPTH_EXCEEDED',
      );
    });

    it('caches an answer whose variables nest just within the limit', async () => {
      const body = `{"query":"${CACHEABLE}","variables":{"x":${deep(30)}}}`;
      const first = await postRaw(gateway.url, body, as(reader));
      const second = await postRaw(gateway.url, body, as(reader));
      expect([first.status, second.status, second.headers.get('x-phoenix-cache')]).toEqual([200, 200, 'hit']);
    });

    it('refuses a lone surrogate in an ID with 400 BAD_USER_INPUT', async () => {
      const answer = await refusedWithoutCall(
        () => post(gateway.url, { query: 'query Q($id: ID!) { building(id: $id) { name } }', variables: { id: '\ud800' } }, as(reader)),
        400,
        'BAD_USER_INPUT',
      );
      expect(answer.body.errors?.[0]?.message).toMatch(/variables\.id is not well-formed Unicode/);
    });

    it('refuses a DateTime past what the warehouse holds with 400 BAD_USER_INPUT, as a variable or written in the query', async () => {
      const query = 'query Q($from: DateTime) { deskBookings(filter: { from: $from }) { nodes { id } } }';
      for (const from of ['9999-12-31T23:59:59.999999999Z', '9999-12-31T23:00:00-05:00']) {
        const answer = await refusedWithoutCall(() => post(gateway.url, { query, variables: { from } }, as(reader)), 400, 'BAD_USER_INPUT');
        expect(answer.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: '$from' });
      }
      await refusedWithoutCall(
        () => post(gateway.url, { query: '{ deskBookings(filter: { from: "9999-12-31T23:00:00-05:00" }) { nodes { id } } }' }, as(reader)),
        400,
        'BAD_USER_INPUT',
      );
      const fine = await post(gateway.url, { query, variables: { from: '2026-01-01T00:00:00Z' } }, as(reader));
      expect(fine.body).toEqual({ data: { deskBookings: { nodes: [{ id: 'dbk1' }] } } });
    });

    it('refuses an APQ extension without a string hash with 400 BAD_REQUEST', async () => {
      for (const persistedQuery of [{ version: 1, sha256Hash: false }, { version: 2, sha256Hash: 'ab' }, 'yes']) {
        await refusedWithoutCall(
          () => post(gateway.url, { query: CACHEABLE, extensions: { persistedQuery } }, as(reader)),
          400,
          'BAD_REQUEST',
        );
      }
    });

    it('refuses an APQ hash that is not the hash of its query with 400 PERSISTED_QUERY_HASH_MISMATCH', async () => {
      const sha256Hash = createHash('sha256').update('{ teams { nodes { id } } }').digest('hex');
      await refusedWithoutCall(
        () => post(gateway.url, { query: CACHEABLE, extensions: { persistedQuery: { version: 1, sha256Hash } } }, as(reader)),
        400,
        'PERSISTED_QUERY_HASH_MISMATCH',
      );
    });
  });

  describe('document limits cannot be sidestepped', () => {
    it.each([
      [
        'nested inline fragments on Query',
        '{ ... on Query { ... on Query { building(id: "b1") { name } floor(id: "f1") { name } } ... on Query { desk(id: "d1") { label } room(id: "x") { name } team(id: "x") { name } } } }',
      ],
      [
        'a fragment spreading another fragment',
        `{ ...A } fragment A on Query { ...B ...B } fragment B on Query { building(id: "b1") { name } floor(id: "f1") { name } desk(id: "d1") { label } }`,
      ],
    ])('counts root fields through %s', async (_name, query) => {
      await refusedWithoutCall(() => post(gateway.url, { query }, as(reader)), 400, 'MAX_ROOT_FIELDS_EXCEEDED');
    });

    it.each([
      [
        'depth through fragments',
        '{ deskBooking(id: "dbk1") { ...F } } fragment F on DeskBooking { desk { floor { ...G } } } fragment G on Floor { building { ... on Building { history { nodes { validFrom } } } } }',
        'MAX_DEPTH_EXCEEDED',
      ],
      ['aliases of __typename', '{ a: __typename b: __typename c: __typename d: __typename }', 'MAX_ALIASES_EXCEEDED'],
      [
        'aliases in a fragment spread twice',
        '{ ...F ...F } fragment F on Query { a: building(id: "b1") { name } b: building(id: "b1") { city } }',
        'MAX_ALIASES_EXCEEDED',
      ],
      [
        'directives on repeated spreads',
        '{ ...F @include(if: true) ...F @include(if: true) ...F @include(if: true) } fragment F on Query { building(id: "b1") @include(if: true) { name } }',
        'MAX_DIRECTIVES_EXCEEDED',
      ],
      [
        'a list without first, which returns the default page',
        '{ deskBookings { nodes { desk { floor { building { name } } } member { id } } } }',
        'MAX_COST_EXCEEDED',
      ],
    ])('refuses %s', async (_name, query, code) => {
      await refusedWithoutCall(() => post(gateway.url, { query }, as(auditor)), 400, code);
    });

    it('prices first: $n with $n = null at the default page, and runs the same list with a small page', async () => {
      const query = 'query Q($n: Int) { deskBookings(first: $n) { nodes { desk { floor { building { name } } } member { id } } } }';
      await refusedWithoutCall(() => post(gateway.url, { query, variables: { n: null } }, as(auditor)), 400, 'MAX_COST_EXCEEDED');
      const small = await post(gateway.url, { query, variables: { n: 2 } }, as(auditor));
      expect(small.status).toBe(200);
    });
  });

  describe('batches', () => {
    it('answers 200 with each operation on its own when one lacks a scope: the others run', async () => {
      const res = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...as(reader) },
        body: JSON.stringify([{ query: '{ building(id: "b1") { name } }' }, { query: '{ member(id: "m1") { email } }' }]),
      });
      expect(res.status).toBe(200);
      const answers = (await res.json()) as Answer['body'][];
      expect(answers[0]).toEqual({ data: { building: { name: 'Acme HQ' } } });
      expect(answers[1]?.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', missingScopes: [SCOPES.personalData] });
      expect(answers[1]?.data).toBeUndefined();
    });

    it('refuses the whole batch before running any when one operation is malformed', async () => {
      const valid = { query: '{ deskBookings(first: 2) { nodes { id } } }' };
      for (const malformed of [{ query: [1] }, 'text', { query: '{ __typename }', variables: [1] }, {}]) {
        await refusedWithoutCall(() => post(gateway.url, [valid, malformed], as(reader)), 400, 'BAD_REQUEST');
      }
    });
  });

  describe('subgraph outages', () => {
    let impatient: Awaited<ReturnType<typeof startGateway>>;
    beforeAll(async () => {
      impatient = await startGateway({ ...env(), SUBGRAPH_TIMEOUT_MS: '1000' });
    });
    afterAll(async () => impatient?.close());

    it.each([
      ['does not answer in time', 'slow' as const],
      ['resets the connection', 'reset' as const],
      ['answers 503', 'http503' as const],
    ])('answers 503 SUBGRAPH_UNAVAILABLE with Retry-After when the subgraph %s', async (_name, mode) => {
      links.bookings.mode = mode;
      links.bookings.slowMs = 4_000;
      const started = Date.now();
      const res = await post(impatient.url, { query: '{ building(id: "b1") { name } }' }, as(reader));
      expect(codeOf(res)).toEqual([503, 'SUBGRAPH_UNAVAILABLE']);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'bookings' });
      expect(Date.now() - started).toBeLessThan(3_500);
    });

    it('keeps the data of the subgraph that answered, with 200 and Retry-After', async () => {
      links.audit.mode = 'reset';
      const res = await post(impatient.url, { query: '{ building(id: "b1") { name history { nodes { validFrom } } } }' }, as(auditor));
      expect(res.status).toBe(200);
      expect(res.body.data?.['building']).toEqual({ name: 'Acme HQ', history: null });
      expect(res.body.errors?.[0]?.extensions?.['code']).toBe('SUBGRAPH_UNAVAILABLE');
      expect(res.headers.get('retry-after')).toBe('2');
    });

    it('gives a subgraph’s own refusal a visible class, and keeps its internals and 500s masked', async () => {
      links.bookings.mode = 'http413';
      const refused = await post(impatient.url, { query: '{ building(id: "b1") { name } }' }, as(reader));
      expect(refused.body.errors?.[0]?.extensions).toEqual({
        code: 'DOWNSTREAM_SERVICE_ERROR',
        serviceName: 'bookings',
        httpStatus: 413,
        downstreamCode: 'PAYLOAD_TOO_LARGE',
      });
      links.bookings.mode = 'http500';
      const failed = await post(impatient.url, { query: '{ building(id: "b1") { name } }' }, as(reader));
      expect(failed.body.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
      expect(JSON.stringify([refused.body, failed.body])).not.toMatch(/secret internals/);
    });
  });

  describe('connections before authentication', () => {
    const port = () => Number(new URL(gateway.url).port);
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(port(), '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      });
    /** What the socket receives until the server closes it, and when that was. */
    const untilClosed = (socket: Socket, limitMs: number) =>
      new Promise<{ text: string; closedAfterMs: number | null }>((resolve) => {
        const started = Date.now();
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('error', () => undefined);
        const timer = setTimeout(() => resolve({ text, closedAfterMs: null }), limitMs);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve({ text, closedAfterMs: Date.now() - started });
        });
      });

    it('answers a body that stops arriving with 408 REQUEST_BODY_TIMEOUT and closes the connection', async () => {
      const socket = await open();
      socket.write(
        `POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-api-key: ${reader.key}\r\ncontent-length: 200\r\n\r\n{"query":`,
      );
      const { text, closedAfterMs } = await untilClosed(socket, 8_000);
      expect(text).toMatch(/^HTTP\/1\.1 408/);
      expect(text).toContain('"code":"REQUEST_BODY_TIMEOUT"');
      expect(closedAfterMs).not.toBeNull();
      expect(closedAfterMs).toBeLessThan(3_000);
    });

    it('closes a connection whose headers never finish, and an idle keep-alive connection', async () => {
      const slowHeaders = await open();
      slowHeaders.write('POST /graphql HTTP/1.1\r\nhost: x\r\n');
      const headers = await untilClosed(slowHeaders, 8_000);
      expect(headers.closedAfterMs).not.toBeNull();
      expect(headers.closedAfterMs).toBeLessThan(3_500);

      const idle = await open();
      idle.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
      const kept = await untilClosed(idle, 8_000);
      expect(kept.text).toMatch(/^HTTP\/1\.1 200/);
      expect(kept.closedAfterMs).not.toBeNull();
      expect(kept.closedAfterMs).toBeLessThan(3_000);
    });

    it('refuses one connection more than MAX_CONNECTIONS_PER_IP from the same address, and takes new ones once one closes', async () => {
      const bounded = await startGateway({ ...env(), MAX_CONNECTIONS_PER_IP: '3' });
      const sockets: Socket[] = [];
      try {
        const target = Number(new URL(bounded.url).port);
        const connectTo = () =>
          new Promise<Socket>((resolve, reject) => {
            const socket = connect(target, '127.0.0.1', () => resolve(socket));
            socket.on('error', reject);
          });
        for (let i = 0; i < 3; i++) sockets.push(await connectTo());
        const fourth = await connectTo();
        const refused = await untilClosed(fourth, 3_000);
        expect(refused.closedAfterMs).not.toBeNull();
        expect(refused.text === '' || /^HTTP\/1\.1 429[\s\S]*TOO_MANY_CONNECTIONS/.test(refused.text)).toBe(true);
        sockets.pop()?.destroy();
        await new Promise((r) => setTimeout(r, 100));
        const again = await connectTo();
        again.write('GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
        expect((await untilClosed(again, 3_000)).text).toMatch(/^HTTP\/1\.1 200/);
        const metrics = await (await fetch(`${bounded.url}/metrics`).catch(() => null))?.text();
        // The metrics request itself needs a connection: the pool may be full, so only check when it got through.
        if (metrics) expect(metrics).toMatch(/phoenix_gateway_refused_total\{[^}]*code="TOO_MANY_CONNECTIONS"[^}]*\} 1/);
      } finally {
        for (const s of sockets) s.destroy();
        await bounded.close();
      }
    });
  });

  describe('operations', () => {
    it('reports Redis in /readyz when rate limits live there, and is unready while it is down (fail closed)', async () => {
      const live = new Redis(process.env['REDIS_URL'] as string);
      const dead = new Redis('redis://127.0.0.1:1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      dead.on('error', () => undefined);
      const withLive = await startGateway(env(), { redis: live });
      const withDead = await startGateway(env(), { redis: dead });
      const withDeadOpen = await startGateway({ ...env(), RATE_LIMIT_FAIL_OPEN: 'true' }, { redis: dead });
      try {
        const ready = async (g: { url: string }) => {
          const res = await fetch(`${g.url}/readyz`);
          return [res.status, ((await res.json()) as { redis?: string }).redis];
        };
        expect(await ready(withLive)).toEqual([200, 'ok']);
        expect(await ready(withDead)).toEqual([503, expect.stringMatching(/^unreachable: /)]);
        expect(await ready(withDeadOpen)).toEqual([200, expect.stringMatching(/^unreachable: /)]);
        expect(await ready(gateway)).toEqual([200, undefined]);
      } finally {
        await Promise.all([withLive.close(), withDead.close(), withDeadOpen.close()]);
        live.disconnect();
        dead.disconnect();
      }
    });

    it('counts a refused supergraph reload and keeps serving the last good one', async () => {
      const path = join(dir, 'supergraph-reload.graphql');
      copyFileSync(join(__dirname, '..', 'src', 'supergraph.graphql'), path);
      const reloading = await startGateway({ ...env(), SUPERGRAPH_PATH: path });
      try {
        writeFileSync(path, 'this is not a supergraph');
        const refused = async () =>
          /phoenix_gateway_supergraph_loads_total\{[^}]*outcome="refused"[^}]*\} 1/.test(
            await (await fetch(`${reloading.url}/metrics`)).text(),
          );
        const deadline = Date.now() + 10_000;
        while (!(await refused()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
        expect(await refused()).toBe(true);
        expect((await post(reloading.url, { query: '{ building(id: "b1") { name } }' }, as(reader))).body).toEqual({
          data: { building: { name: 'Acme HQ' } },
        });
      } finally {
        await reloading.close();
      }
    });
  });
});
