import type { BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import type { Principal } from './auth';

/** What the gateway knows about one request; the subgraph client signs `principal` for the subgraphs. */
export interface GatewayContext extends BaseContext {
  principal: Principal;
  requestId: string;
  /** The W3C traceparent to send to the subgraphs (a child of the client's, or a new trace). */
  traceparent: string;
  logger: Logger;
  /** Aborted when the request runs out of REQUEST_TIMEOUT_MS: its subgraph calls stop then. */
  signal?: AbortSignal;
  /** Filled by the plugins for the access log and metrics. */
  analytics: { operationName: string | null; operationHash: string | null; cache: 'hit' | 'miss' | null; errorCodes: string[] };
}
