import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './auth';
import type { GatewayContext } from './context';

/** One GraphQL operation as the client sent it (a POST body, one entry of a batch, or a GET's query string). */
export type OperationRequest = Record<string, unknown>;

/**
 * One request on its way through the flow: what the policies have established so far.
 * Policies read and fill typed fields; nothing travels in made-up headers.
 */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** The query string, `?…` or empty. */
  search: string;
  /** The parsed JSON body of a POST. */
  body: unknown;
  /** A GET of the landing page (HTML): no operation, no credentials. */
  landingPage: boolean;
  /** No credentials needed (the landing page, or introspection only while it is on). */
  anonymous: boolean;
  principal: Principal | null;
  /** The operations to run, once read from the body or query string; null before, or when there are none. */
  operations: OperationRequest[] | null;
  /** The body was a JSON array: each operation is answered on its own. */
  batch: boolean;
  /** Aborted when the request must stop (REQUEST_TIMEOUT_MS): the route and its subgraph calls give up. */
  readonly abort: AbortController;
  /** Set by the timeout policy, cleared when the answer is sent. */
  timer: NodeJS.Timeout | undefined;
  /** The HTTP status answered. */
  status: number;
  /** The code of a refusal by a policy or the route, else null. */
  refusedWith: string | null;
  /** For metrics and the access log. */
  readonly analytics: GatewayContext['analytics'];
}

export function createExchange(req: IncomingMessage, res: ServerResponse): Exchange {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return {
    req,
    res,
    requestId: randomUUID(),
    startedAt: performance.now(),
    search: q >= 0 ? url.slice(q) : '',
    body: undefined,
    landingPage: false,
    anonymous: false,
    principal: null,
    operations: null,
    batch: false,
    abort: new AbortController(),
    timer: undefined,
    status: 200,
    refusedWith: null,
    analytics: { operationName: null, operationHash: null, cache: null, errorCodes: [] },
  };
}

/** The first value of a request header. */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
