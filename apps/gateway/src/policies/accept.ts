import { HttpGraphQLError } from '@phoenix/service';
import { headerOf } from '../exchange';
import { CONTINUE, type Policy } from '../policy';

/** The media types a GraphQL answer of this gateway comes in (it has no incremental delivery). */
const ANSWERS = ['application/graphql-response+json', 'application/json'];

/**
 * Content negotiation before anything runs: Apollo Server chooses the answer's media type
 * only after executing, so a client accepting none of ours (`accept: text/html` on a
 * POST, or only `multipart/mixed`) would cost the subgraphs a full execution and then
 * get 406. Here it gets the same 406 BAD_REQUEST at once. No `Accept` header accepts
 * anything.
 */
export function checkAccept(accept: string | undefined): void {
  if (!accept || accept.trim() === '') return;
  const acceptable = accept.split(',').some((entry) => {
    const [type = '', ...params] = entry.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) return false;
    return type === '*/*' || type === 'application/*' || ANSWERS.includes(type);
  });
  if (!acceptable) {
    throw new HttpGraphQLError(406, 'BAD_REQUEST', `the Accept header allows none of ${ANSWERS.join(', ')}: accept one of them`);
  }
}

/**
 * Method and content negotiation: `GET` or `POST` only (405 METHOD_NOT_ALLOWED); a GET
 * asking for HTML is the landing page when it is on; anything else must accept one of
 * the GraphQL answer types.
 */
export function acceptPolicy(options: { landingPage: boolean }): Policy {
  return {
    name: 'accept',
    onRequest(exchange) {
      const { req } = exchange;
      if (req.method !== 'POST' && req.method !== 'GET') {
        throw new HttpGraphQLError(405, 'METHOD_NOT_ALLOWED', 'use POST (or GET for queries)', { allow: 'GET, POST, OPTIONS' });
      }
      exchange.landingPage = req.method === 'GET' && options.landingPage && String(req.headers.accept ?? '').includes('text/html');
      if (!exchange.landingPage) checkAccept(headerOf(req, 'accept'));
      return CONTINUE;
    },
  };
}
