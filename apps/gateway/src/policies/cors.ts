import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpGraphQLError } from '@phoenix/service';
import { CONTINUE, RESPOND, type Policy } from '../policy';

const ALLOWED_HEADERS = 'content-type, authorization, x-api-key, apollo-require-preflight, traceparent, tracestate';

/**
 * CORS with an allowlist of origins (`*` allows any, for development; the gateway's own
 * origin is always allowed). A preflight from
 * an allowed origin is answered 204; from any other origin 403. A non-browser request
 * (no Origin) is not affected.
 * Returns true when the request was a preflight and has been answered.
 */
export function createCors(origins: readonly string[], apiKeyHeader: string) {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  const headers = ALLOWED_HEADERS.includes(apiKeyHeader) ? ALLOWED_HEADERS : `${ALLOWED_HEADERS}, ${apiKeyHeader}`;
  return function cors(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (!origin) return false;
    res.setHeader('vary', 'Origin');
    // The gateway's own pages (the Sandbox landing page) call it from its own origin.
    const sameOrigin =
      req.headers.host !== undefined && (origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`);
    if (!any && !sameOrigin && !allowed.has(origin)) {
      throw new HttpGraphQLError(403, 'CORS_ORIGIN_NOT_ALLOWED', `origin ${origin} may not call this API from a browser`);
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader(
      'access-control-expose-headers',
      'ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after, x-request-id, x-phoenix-cache',
    );
    if (req.method !== 'OPTIONS') return false;
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': headers,
      'access-control-max-age': '600',
    });
    res.end();
    return true;
  };
}

/** CORS as a flow step: an allowed preflight is answered here (204). */
export function corsPolicy(origins: readonly string[], apiKeyHeader: string): Policy {
  const cors = createCors(origins, apiKeyHeader);
  return {
    name: 'cors',
    onRequest(exchange) {
      if (!cors(exchange.req, exchange.res)) return CONTINUE;
      exchange.status = 204;
      return RESPOND;
    },
  };
}
