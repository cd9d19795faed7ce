import type { IncomingMessage } from 'node:http';
import type { BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import { CONTEXT_HEADER, ContextError, verifyContext, type ContextKeys, type RequestContext } from '@phoenix/access';
import type { Row, Statement, Warehouse } from '@phoenix/bq';
import { forbidden, HttpGraphQLError } from '@phoenix/service';
import type { SubgraphMetrics } from './metrics';

/** The warehouse as one request sees it: every query named, timed, counted and tenant-checked. */
export interface RequestWarehouse {
  /** Runs a read. `name` labels metrics and logs (a fixed string, e.g. `load:desk`). */
  query<T extends Row = Row>(name: string, statement: Statement): Promise<T[]>;
  /** Queries run so far by this request, in order. */
  readonly queries: readonly string[];
}

export interface SubgraphContext extends BaseContext {
  /** Who is asking, as the gateway signed it. The tenant comes only from here. */
  auth: RequestContext;
  requestId: string;
  logger: Logger;
  db: RequestWarehouse;
  /** A value that lives exactly one request (DataLoaders), created on first use. */
  memo<T>(key: string, create: () => T): T;
}

/**
 * Verifies the signed context the gateway sends. A missing, forged, expired or
 * malformed context is refused with 401 before Apollo runs, so no resolver and no
 * warehouse query ever sees an unauthenticated request.
 */
export function authenticate(req: IncomingMessage, keys: ContextKeys): RequestContext {
  const header = req.headers[CONTEXT_HEADER];
  try {
    return verifyContext(Array.isArray(header) ? header[0] : header, keys);
  } catch (err) {
    if (!(err instanceof ContextError)) throw err;
    throw new HttpGraphQLError(401, 'UNAUTHENTICATED', `${err.message} (${err.code})`);
  }
}

export function createContext(deps: {
  auth: RequestContext;
  warehouse: Warehouse;
  logger: Logger;
  metrics: SubgraphMetrics;
}): SubgraphContext {
  const { auth } = deps;
  const logger = deps.logger.child({ requestId: auth.requestId, tenantId: auth.tenantId, consumerId: auth.consumerId });
  const memo = new Map<string, unknown>();
  const queries: string[] = [];
  const db: RequestWarehouse = {
    queries,
    async query<T extends Row>(name: string, statement: Statement): Promise<T[]> {
      // Defence in depth for tenant isolation: every read statement takes the tenant as
      // @tenant, and it must be the signed one. A statement that is not scoped is a bug.
      const tenant = statement.params['tenant']?.value;
      if (tenant !== auth.tenantId) throw new Error(`warehouse read ${name} is not scoped to the request's tenant`);
      queries.push(name);
      const end = deps.metrics.querySeconds.startTimer({ query: name });
      try {
        return await deps.warehouse.query<T>(statement, { labels: { component: 'subgraph', query: name.replace(/[^a-z0-9_-]/g, '_') } });
      } catch (err) {
        logger.error({ err, query: name }, 'warehouse query failed');
        throw err;
      } finally {
        // Per query at debug level: the subgraph benchmark reads these to attribute warehouse time to requests.
        const seconds = end();
        logger.debug({ query: name, ms: Math.round(seconds * 1e6) / 1e3 }, 'warehouse query');
      }
    },
  };
  return {
    auth,
    requestId: auth.requestId,
    logger,
    db,
    memo: <T>(key: string, create: () => T): T => {
      if (!memo.has(key)) memo.set(key, create());
      return memo.get(key) as T;
    },
  };
}

/** Throws FORBIDDEN unless the signed context carries `scope`. */
export function requireScope(ctx: SubgraphContext, scope: string, what: string): void {
  if (!ctx.auth.scopes.includes(scope)) throw forbidden(scope, what);
}
