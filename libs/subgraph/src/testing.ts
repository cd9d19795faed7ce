/**
 * Test helpers for suites that talk to a running subgraph: signed headers as the
 * gateway would send them, a GraphQL POST, and a warehouse wrapper that records every
 * statement so tests can count queries per table.
 */
import { randomUUID } from 'node:crypto';
import { CONTEXT_HEADER, signContext, type ContextKeys, type RequestContext } from '@phoenix/access';
import type { Statement, Warehouse } from '@phoenix/bq';

export const TEST_CONTEXT_KEYS: ContextKeys = { secrets: ['test-context-secret-0123456789abcdef'] };

export function signedHeaders(context: Partial<RequestContext> = {}, keys: ContextKeys = TEST_CONTEXT_KEYS): Record<string, string> {
  return {
    [CONTEXT_HEADER]: signContext(
      {
        tenantId: 'acme',
        consumerId: 'test-consumer',
        scopes: [],
        requestId: randomUUID(),
        exp: Math.floor(Date.now() / 1000) + 60,
        ...context,
      },
      keys,
    ),
  };
}

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  body: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<GraphQLResult<T>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await res.json()) as Omit<GraphQLResult<T>, 'status'>;
  return { status: res.status, ...json };
}

/** The warehouse, plus a log of the tables each query read (from its FROM clause). */
export function recordingWarehouse(warehouse: Warehouse): Warehouse & { log: string[][]; reset(): void } {
  const log: string[][] = [];
  const tablesOf = (statement: Statement) =>
    [...statement.sql.text.matchAll(/FROM\s+`[^`]*\.([A-Za-z0-9_]+)`/g)].map((m) => m[1] as string);
  return Object.assign(Object.create(warehouse) as Warehouse, {
    log,
    reset: () => void log.splice(0),
    query: async (statement: Statement, options?: Parameters<Warehouse['query']>[1]) => {
      log.push(tablesOf(statement));
      return warehouse.query(statement, options);
    },
  }) as Warehouse & { log: string[][]; reset(): void };
}
