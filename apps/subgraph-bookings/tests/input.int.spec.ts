import pino from 'pino';
import { SCOPES } from '@phoenix/domain';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';
import { createSubgraphMetrics, type SubgraphServer } from '@phoenix/subgraph';
import { postGraphQL, recordingWarehouse, signedHeaders, TEST_CONTEXT_KEYS } from '@phoenix/subgraph/testing';
import { createBookingsSubgraph } from '../src/subgraph';

/**
 * Input a client can get wrong is its own coded 400 at the subgraph too, before any
 * warehouse query, not an internal error from the warehouse client (the gateway refuses
 * the same first; a subgraph keeps the contract for any caller).
 */
describe('subgraph-bookings refuses input the warehouse cannot take', () => {
  const base = createTestWarehouse('it_bookings_input', process.env);
  const warehouse = recordingWarehouse(base);
  let server: SubgraphServer;
  let url: string;

  beforeAll(async () => {
    server = createBookingsSubgraph({
      warehouse,
      logger: pino({ level: 'silent' }),
      metrics: createSubgraphMetrics('subgraph-bookings'),
      contextKeys: TEST_CONTEXT_KEYS,
      http: { port: 0, host: '127.0.0.1', logLevel: 'silent', maxBodyBytes: 100_000, shutdownTimeoutMs: 1000, introspection: false },
      cache: { ttlMs: 0, maxEntries: 0 },
    });
    url = `http://127.0.0.1:${await server.start()}/graphql`;
  });
  afterAll(async () => {
    await server?.stop();
    await dropTestDataset(base);
  });

  const ask = (query: string, variables: Record<string, unknown>) =>
    postGraphQL(url, { query, variables }, signedHeaders({ scopes: [SCOPES.read], tenantId: 'acme' }));

  it.each([
    ['a lone surrogate in an ID variable', 'query($id: ID!) { desk(id: $id) { id } }', { id: 'dsk-\ud800' }],
    [
      'a DateTime past the warehouse’s last instant once in UTC',
      'query($from: DateTime) { deskBookings(filter: { from: $from }) { nodes { id } } }',
      { from: '9999-12-31T23:00:00-05:00' },
    ],
    [
      'a DateTime with more precision than a TIMESTAMP at its last instant',
      'query($from: DateTime) { deskBookings(filter: { from: $from }) { nodes { id } } }',
      { from: '9999-12-31T23:59:59.999999999Z' },
    ],
  ])('%s: 400 BAD_USER_INPUT, no warehouse query', async (_, query, variables) => {
    warehouse.reset();
    const res = await ask(query, variables);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(warehouse.log).toEqual([]);
  });
});
