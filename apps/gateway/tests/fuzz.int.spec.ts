import fc from 'fast-check';
import { join } from 'node:path';
import { SCOPES } from '@phoenix/domain';
import type { Warehouse } from '@phoenix/bq';
import { dropTestDataset } from '@phoenix/bq/testing';
import { GATEWAY_ERROR_CODES } from '../src/error-codes';
import { consumer, dir, seededWarehouse, startGateway, startSubgraphs, upstreamLink, writeConsumers } from './support';

/**
 * The gateway's adversarial suite: seeded random and mutated requests (methods, paths,
 * headers, query strings, bodies) against a real gateway in front of the real
 * subgraphs. Every answer must come in time, carry only documented codes, never be an
 * undocumented 5xx, and a refused request (4xx) must not have called a subgraph.
 * Afterwards the gateway is as healthy as before. FUZZ_SEED reproduces a run; the seed
 * of a failing run is in the failure message.
 */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261203);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 5_000);
/** About a minute of requests, whatever the machine: the run stops when it is used up. */
const TIME_BUDGET_MS = 50_000;

/** 5xx a client may get by design (docs/api.md), each only with its own code. */
const DOCUMENTED_5XX: Record<number, string[]> = { 503: ['SUBGRAPH_UNAVAILABLE', 'SERVICE_UNAVAILABLE'], 504: ['REQUEST_TIMEOUT'] };

const VALID = [
  '{ building(id: "b1") { name city } }',
  '{ buildings { nodes { id name } } }',
  'query Q($id: ID!) { desk(id: $id) { label floor { name building { name } } } }',
  'query Q($n: Int) { deskBookings(first: $n) { nodes { id status } pageInfo { hasNextPage endCursor } } }',
  'query Q($from: DateTime) { deskBookings(filter: { from: $from }) { nodes { id } } }',
  '{ member(id: "m1") { email displayName } }',
  '{ deskBooking(id: "dbk1") { status history { nodes { eventType validFrom } } } }',
  'query A { teams { nodes { id } } } query B { floors { nodes { id } } }',
  '{ ...F } fragment F on Query { building(id: "b1") { name } }',
  '{ __typename }',
  '{ __schema { queryType { name } } }',
  'mutation { __typename }',
];

describe('the gateway fuzzed', () => {
  let warehouse: Warehouse;
  let subgraphs: Awaited<ReturnType<typeof startSubgraphs>>;
  let links: Awaited<ReturnType<typeof upstreamLink>>[];
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const reader = consumer('fuzz-reader', [SCOPES.read]);
  const auditor = consumer('fuzz-auditor', [SCOPES.read, SCOPES.history, SCOPES.personalData]);

  beforeAll(async () => {
    warehouse = await seededWarehouse();
    subgraphs = await startSubgraphs(warehouse.config.datasetId);
    links = [
      await upstreamLink(subgraphs.urls['SUBGRAPH_BOOKINGS_URL'] as string),
      await upstreamLink(subgraphs.urls['SUBGRAPH_AUDIT_URL'] as string),
      await upstreamLink(subgraphs.urls['SUBGRAPH_COMMANDS_URL'] as string),
    ];
    const consumersFile = join(dir, 'consumers-fuzz.json');
    writeConsumers(consumersFile, [reader, auditor]);
    gateway = await startGateway({
      SUBGRAPH_BOOKINGS_URL: (links[0] as { url: string }).url,
      SUBGRAPH_AUDIT_URL: (links[1] as { url: string }).url,
      SUBGRAPH_COMMANDS_URL: (links[2] as { url: string }).url,
      CONSUMERS_FILE: consumersFile,
      GRAPHQL_INTROSPECTION: 'true',
      CORS_ORIGINS: 'https://app.acme.test',
      MAX_BODY_BYTES: '20000',
      MAX_BATCH: '3',
      BODY_TIMEOUT_MS: '2000',
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await Promise.all((links ?? []).map((l) => l.close()));
    await subgraphs?.stop();
    await dropTestDataset(warehouse);
  });

  const calls = () => links.reduce((n, l) => n + l.calls, 0);

  /** Percent-encodes every UTF-8 byte (encodeURIComponent throws on a lone surrogate). */
  const percent = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

  // --- generators --------------------------------------------------------------------
  const weird = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('\ud800', '\udfff', '\u0000', '"', '\\', '{', '}', '[', '$', '...', '@skip(if: true)', '__typename', 'null', '1e999'),
  );
  const jsonish = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    weird,
    fc.integer({ min: 1, max: 1_000 }).map((n) => JSON.parse(`${'['.repeat(n)}0${']'.repeat(n)}`) as unknown),
  );
  /** A valid query, or one mutated by deleting, duplicating or inserting a piece. */
  const query = fc.oneof(
    fc.constantFrom(...VALID),
    fc
      .tuple(fc.constantFrom(...VALID), fc.nat(), fc.nat({ max: 20 }), fc.oneof(weird, fc.constantFrom(...VALID)))
      .map(([q, at, cut, insert]) => {
        const i = at % (q.length + 1);
        return q.slice(0, i) + insert + q.slice(Math.min(q.length, i + cut));
      }),
    fc
      .tuple(fc.constantFrom('... on Query { ', 'a: ', '__typename ', 'building(id: "b1") { name } '), fc.integer({ min: 1, max: 60 }))
      .map(([piece, n]) => `{ ${piece.repeat(n)}${piece.startsWith('...') ? `__typename ${'} '.repeat(n)}` : ''} }`),
    weird,
  );
  /** A well-formed operation with plausible variables: most of these run, and reach the subgraphs. */
  const clean = fc.record({
    query: fc.constantFrom(...VALID.slice(0, 7), ...VALID.slice(8, 10)),
    variables: fc.record(
      {
        id: fc.constantFrom('d1', 'b1', 'nope', ''),
        n: fc.oneof(fc.integer({ min: -5, max: 150 }), fc.constant(null)),
        from: fc.constantFrom(
          '2026-01-01T00:00:00Z',
          '2026-01-05T08:00:00+01:00',
          '2026-01-07',
          '9999-12-31T23:59:59.999999999Z',
          '1899-12-31T23:59:59Z',
        ),
      },
      { requiredKeys: [] },
    ),
  });
  const messy = fc.record(
    {
      query: fc.oneof(query, jsonish),
      variables: fc.oneof(
        fc.constant(undefined),
        fc.dictionary(fc.constantFrom('id', 'n', 'from', 'x', '\ud800'), jsonish, { maxKeys: 3 }),
        jsonish,
      ),
      operationName: fc.oneof(fc.constant(undefined), fc.constantFrom('A', 'B', 'Q', 'Nope', ''), weird, jsonish),
      extensions: fc.oneof(
        fc.constant(undefined),
        fc.record({
          persistedQuery: fc.record({
            version: fc.oneof(fc.constant(1), jsonish),
            sha256Hash: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), jsonish),
          }),
        }),
        jsonish,
      ),
      id: fc.oneof(fc.constant(undefined), jsonish),
    },
    { requiredKeys: [] },
  );
  const operation = fc.oneof({ weight: 2, arbitrary: clean }, { weight: 3, arbitrary: messy });
  const body = fc.oneof(
    { weight: 5, arbitrary: operation.map((op) => JSON.stringify(op)) },
    { weight: 2, arbitrary: fc.array(operation, { maxLength: 5 }).map((ops) => JSON.stringify(ops)) },
    { weight: 1, arbitrary: fc.tuple(operation, fc.nat()).map(([op, n]) => JSON.stringify(op).slice(0, n % 200)) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        weird,
        fc.jsonValue().map((v) => JSON.stringify(v)),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 19_000, max: 25_000 }).map((n) => `{"query":"{ __typename }","variables":{"p":"${'x'.repeat(n)}"}}`),
    },
  );
  const headers = fc.record(
    {
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/graphql',
        'multipart/form-data',
        '',
      ),
      'x-api-key': fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(reader.key, auditor.key) },
        { weight: 1, arbitrary: fc.oneof(fc.constant('phx_000000000000_nope'), fc.string({ maxLength: 20 })) },
      ),
      authorization: fc.constantFrom('Bearer x.y.z', 'Basic Zm9vOmJhcg==', 'Bearer '),
      'apollo-require-preflight': fc.constant('true'),
      origin: fc.constantFrom('https://app.acme.test', 'https://evil.test', 'null'),
      accept: fc.constantFrom(
        'application/json',
        'text/html',
        'application/graphql-response+json',
        'multipart/mixed; deferSpec=20220824',
        '*/*',
      ),
      traceparent: fc.constantFrom('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'garbage'),
      'x-phoenix-context': fc.constant('v1.forged.signature'),
    },
    { requiredKeys: [] },
  );
  // Most requests carry a key and no foreign origin, so that they get past the door and exercise the rest.
  const likelyHeaders = fc.oneof(
    {
      weight: 3,
      arbitrary: headers.map((h) => ({
        'content-type': 'application/json',
        ...h,
        'x-api-key': h['x-api-key'] ?? auditor.key,
        origin: 'https://app.acme.test',
      })),
    },
    { weight: 1, arbitrary: headers },
  );
  const search = fc.oneof(
    fc.constant(''),
    fc
      .record(
        {
          query: query,
          variables: jsonish.map((v) => JSON.stringify(v) ?? ''),
          operationName: fc.oneof(weird, fc.constantFrom('A', 'B')),
          extensions: jsonish.map((v) => JSON.stringify(v) ?? ''),
        },
        { requiredKeys: [] },
      )
      .map((params) => `?${new URLSearchParams(params as Record<string, string>).toString()}`),
    weird.map((w) => `?${percent(w)}=${percent(w)}`),
    fc.constantFrom('?query=%ED%A0%80', '?query=%FF%FE', '?query=%', '?variables=%7B%7D%7B', '?query=%7B__typename%7D&query=%7Bx%7D'),
  );
  const request = fc.record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant('POST') },
      { weight: 3, arbitrary: fc.constant('GET') },
      { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
    ),
    path: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('/graphql', '/') },
      { weight: 1, arbitrary: fc.constantFrom('/nope', '/graphql/', '/healthz') },
    ),
    search,
    headers: likelyHeaders,
    body,
  });

  it(
    'answers every request in time, with documented codes only, and refused requests cost no subgraph call',
    async () => {
      const started = Date.now();
      let sent = 0;
      const statuses = new Map<number, number>();
      let reached = 0;
      // Shown when a subgraph call is counted against the wrong request.
      let previous: unknown = null;
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          sent++;
          const before = calls();
          const init: RequestInit = { method: r.method, headers: r.headers, signal: AbortSignal.timeout(25_000) };
          if (r.method !== 'GET' && r.method !== 'HEAD') init.body = r.body;
          let res: Response;
          try {
            res = await fetch(`${gateway.url}${r.path}${r.search}`, init);
          } catch (err) {
            // Only a header value fetch itself refuses to send may fail on the client side; a
            // connection the gateway drops without an answer ("fetch failed") is a failure.
            if (err instanceof TypeError && err.message !== 'fetch failed') return;
            throw err;
          }
          const text = await res.text();
          const status = res.status;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (calls() > before) reached++;
          expect(status).not.toBe(500);
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = null;
          }
          const answers = (Array.isArray(parsed) ? parsed : [parsed]) as { errors?: { extensions?: { code?: unknown } }[] }[];
          const codes = answers.flatMap((a) =>
            a && typeof a === 'object' && Array.isArray(a.errors) ? a.errors.map((e) => String(e.extensions?.code)) : [],
          );
          for (const code of codes) {
            expect([code, code in GATEWAY_ERROR_CODES]).toEqual([code, true]);
            expect(code).not.toBe('INTERNAL_SERVER_ERROR');
          }
          if (status >= 500) {
            expect([status, codes.every((c) => DOCUMENTED_5XX[status]?.includes(c)) && codes.length > 0]).toEqual([status, true]);
          }
          // A 4xx is a refusal: it must not have reached any subgraph.
          if (status >= 400 && status < 500) expect([status, codes, calls() - before, previous]).toEqual([status, codes, 0, previous]);
          previous = r;
        }),
        { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: TIME_BUDGET_MS, markInterruptAsFailure: false, endOnFailure: true },
      );
      // The run must have exercised the whole way, not only the door.
      const seen = Object.fromEntries(statuses);
      expect([seen, sent]).toEqual([seen, expect.any(Number)]);
      expect(sent).toBeGreaterThan(300);
      expect(statuses.get(200) ?? 0).toBeGreaterThan(sent / 20);
      expect(reached).toBeGreaterThan(sent / 100);
      expect([...statuses.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThan(4);
      expect(Date.now() - started).toBeLessThan(TIME_BUDGET_MS + 30_000);

      // Health unchanged: the probes answer, and a plain query still gets its answer.
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
      const after = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': reader.key },
        body: JSON.stringify({ query: '{ building(id: "b1") { name } }' }),
      });
      expect(await after.json()).toEqual({ data: { building: { name: 'Acme HQ' } } });
    },
    TIME_BUDGET_MS + 90_000,
  );
});
