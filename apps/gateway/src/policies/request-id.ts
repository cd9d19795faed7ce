import type { Policy } from '../policy';
import { CONTINUE } from '../policy';
import { INTERNAL_HEADERS } from '../subgraphs';

/**
 * Every answer carries the request's id (`x-request-id`, also in the access log), and only
 * the gateway speaks for the caller: a client's copies of internal headers are dropped.
 */
export function requestIdPolicy(): Policy {
  return {
    name: 'request-id',
    onRequest(exchange) {
      exchange.res.setHeader('x-request-id', exchange.requestId);
      for (const header of INTERNAL_HEADERS) delete exchange.req.headers[header];
      return CONTINUE;
    },
  };
}
