import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpGraphQLError, writeGraphQLError } from '@phoenix/service';
import { createExchange, type Exchange } from './exchange';

/** What a request policy decides: go on to the next step, or the answer has been written (a CORS preflight). */
export type Verdict = 'continue' | 'respond';

export const CONTINUE: Verdict = 'continue';
export const RESPOND: Verdict = 'respond';

/**
 * One gateway policy, as an Apigee proxy has them. `onRequest` runs before the route, in
 * the flow's order: it continues, answers itself (`respond`), or refuses by throwing an
 * HttpGraphQLError (a status and a coded error; the flow writes it). `onResponse` runs
 * after every request, answered, refused or failed, in the flow's order.
 */
export interface Policy {
  readonly name: string;
  onRequest?(exchange: Exchange): Verdict | Promise<Verdict>;
  onResponse?(exchange: Exchange): void;
}

/** Where a request goes once the request policies let it through: a match and a handler that answers. */
export interface Route {
  readonly name: string;
  matches(exchange: Exchange): boolean;
  handle(exchange: Exchange): Promise<void>;
}

/** The whole flow, read top to bottom: request policies → the first route that matches → response policies. */
export interface Flow {
  readonly request: readonly Policy[];
  readonly routes: readonly Route[];
  readonly response: readonly Policy[];
}

/**
 * Runs `flow` for every request. A refusal (HttpGraphQLError) is written as a coded
 * GraphQL error; anything else thrown is a 500 the HTTP server answers and logs. The
 * response policies run in every case.
 */
export function runFlow(flow: Flow): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const request = flow.request.filter((p) => p.onRequest);
  const response = flow.response.filter((p) => p.onResponse);
  return async function handle(req, res) {
    const exchange = createExchange(req, res);
    try {
      if ((await runRequestPolicies(request, exchange)) === RESPOND) return;
      const route = flow.routes.find((r) => r.matches(exchange));
      // The flow ends in a route that takes every request (the GraphQL route): none is a wiring mistake.
      if (!route) throw new Error(`no route for ${req.method} ${req.url}`);
      await route.handle(exchange);
    } catch (err) {
      if (!(err instanceof HttpGraphQLError)) {
        exchange.status = 500;
        exchange.analytics.errorCodes.push('INTERNAL_SERVER_ERROR');
        throw err;
      }
      exchange.status = err.status;
      exchange.refusedWith = err.code;
      exchange.analytics.errorCodes.push(err.code);
      writeGraphQLError(res, err);
    } finally {
      for (const policy of response) policy.onResponse?.(exchange);
    }
  };
}

async function runRequestPolicies(policies: readonly Policy[], exchange: Exchange): Promise<Verdict> {
  for (const policy of policies) {
    const verdict = policy.onRequest?.(exchange) ?? CONTINUE;
    // Most policies decide synchronously: no await (and no microtask) for those.
    if ((typeof verdict === 'string' ? verdict : await verdict) === RESPOND) return RESPOND;
  }
  return CONTINUE;
}
