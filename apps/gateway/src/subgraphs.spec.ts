import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { parse, type OperationDefinitionNode } from 'graphql';
import { createGatewayMetrics } from './analytics';
import type { GatewayContext } from './context';
import { createSubgraphDataSourceFactory, shareKeyFor } from './subgraphs';

const keys = { secrets: ['subgraphs-spec-secret-0123456789abcdef'] };
const principal = { consumerId: 'c1', tenantId: 'acme', scopes: ['bookings:read'], limits: null, method: 'api-key' as const };

/** A subgraph call as @apollo/gateway makes it for a client operation of `text`. */
function callFor(text: string, subgraphQuery = text): GraphQLDataSourceProcessOptions<GatewayContext> {
  const operation = parse(text).definitions[0] as OperationDefinitionNode;
  const context = { principal, requestId: 'r1', traceparent: '00-' + '1'.repeat(32) + '-' + '2'.repeat(16) + '-01' } as GatewayContext;
  return {
    kind: 'incoming operation' as never,
    request: { query: subgraphQuery, variables: {} },
    context,
    incomingRequestContext: { operation, context } as never,
  };
}

describe('request sharing decides from the parsed operation', () => {
  it('gives a query a key naming tenant, consumer and sorted scopes', () => {
    expect(shareKeyFor(callFor('query Q { building(id: "b1") { name } }'))).toBe('["acme","c1",["bookings:read"]]');
  });

  it.each([
    ['a mutation', 'mutation M { cancelBooking(id: "b1") { id } }'],
    ['a mutation whose text says "query"', 'mutation query { query: cancelBooking(id: "query") { id } }'],
    ['a subscription', 'subscription S { changes { id } }'],
  ])('never shares %s, whatever its subgraph calls look like', (_name, text) => {
    // The planner's calls for a mutation include entity fetches that are queries.
    expect(
      shareKeyFor(callFor(text, 'query($representations:[_Any!]!){_entities(representations:$representations){__typename}}')),
    ).toBeNull();
  });
});

describe('subgraph calls in flight', () => {
  let server: Server;
  let url: string;
  let calls = 0;
  const factories: ReturnType<typeof createSubgraphDataSourceFactory>[] = [];

  beforeAll(async () => {
    // A subgraph that answers after 100 ms, so identical calls overlap.
    server = createServer((req, res) => {
      calls++;
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ data: { ok: true } }));
        }, 100),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await Promise.all(factories.map((f) => f.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => (calls = 0));

  function source(apq: boolean) {
    const factory = createSubgraphDataSourceFactory({
      keys,
      contextTtlSeconds: 60,
      timeoutMs: 5_000,
      shareInFlight: true,
      metrics: createGatewayMetrics(),
    });
    factories.push(factory);
    const dataSource = factory.factory({ name: 'bookings', url });
    // Subgraph APQ sends a hash first, without the operation's text.
    dataSource.apq = apq;
    return dataSource;
  }

  it('shares one fetch between identical queries', async () => {
    const dataSource = source(false);
    const text = 'query Q { building(id: "b1") { name } }';
    await Promise.all([dataSource.process(callFor(text)), dataSource.process(callFor(text))]);
    expect(calls).toBe(1);
  });

  it.each([
    ['without subgraph APQ', false],
    ['with subgraph APQ (no text in the body)', true],
  ])('never shares a mutation %s', async (_name, apq) => {
    const dataSource = source(apq);
    const text = 'mutation M { cancelBooking(id: "query") { id } }';
    await Promise.all([dataSource.process(callFor(text)), dataSource.process(callFor(text))]);
    expect(calls).toBe(2);
  });
});
