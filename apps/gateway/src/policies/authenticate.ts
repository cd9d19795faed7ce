import { Kind, parse } from 'graphql';
import type { Authenticate } from '../auth';
import { CONTINUE, type Policy } from '../policy';
import { GATEWAY_PRINCIPAL } from '../subgraphs';

/**
 * VerifyAPIKey / VerifyJWT (auth.ts) sets the exchange's principal, or refuses with 401.
 * The landing page, and while introspection is on an operation that only asks the schema
 * about itself (Sandbox's polling), need no credentials: they run as the gateway itself,
 * without scopes or rate limits.
 */
export function authenticatePolicy(authenticate: Authenticate, options: { introspection: boolean }): Policy {
  return {
    name: 'authenticate',
    async onRequest(exchange) {
      exchange.anonymous = exchange.landingPage || (options.introspection && isIntrospectionOnly(exchange.body));
      exchange.principal = exchange.anonymous
        ? { ...GATEWAY_PRINCIPAL, limits: null, method: 'api-key' }
        : await authenticate(exchange.req);
      return CONTINUE;
    },
  };
}

/** True for an operation that only asks the schema about itself: no subgraph is involved. */
export function isIntrospectionOnly(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const query = (body as Record<string, unknown>)['query'];
  if (typeof query !== 'string' || query.length > 20_000) return false;
  try {
    const document = parse(query);
    return document.definitions.every(
      (d) =>
        d.kind === Kind.FRAGMENT_DEFINITION ||
        (d.kind === Kind.OPERATION_DEFINITION &&
          d.operation === 'query' &&
          d.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'))),
    );
  } catch {
    return false;
  }
}
