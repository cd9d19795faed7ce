import { HttpGraphQLError } from '@phoenix/service';
import { fakeExchange } from './policies/testing';
import { CONTINUE, RESPOND, runFlow, type Policy, type Route } from './policy';

function recorder(log: string[], name: string, verdict: 'continue' | 'respond' | Error = CONTINUE): Policy {
  return {
    name,
    onRequest() {
      log.push(`request:${name}`);
      if (verdict instanceof Error) throw verdict;
      return verdict;
    },
    onResponse(exchange) {
      log.push(`response:${name}:${exchange.status}`);
    },
  };
}

const route = (log: string[]): Route => ({
  name: 'r',
  matches: () => true,
  async handle(exchange) {
    log.push('route');
    exchange.status = 200;
    exchange.res.end('ok');
  },
});

describe('the flow', () => {
  it('runs request policies in order, then the route, then every response policy in order', async () => {
    const log: string[] = [];
    const a = recorder(log, 'a');
    const b = recorder(log, 'b');
    const { req, res } = fakeExchange();
    await runFlow({ request: [a, b], routes: [route(log)], response: [b, a] })(req, res);
    expect(log).toEqual(['request:a', 'request:b', 'route', 'response:b:200', 'response:a:200']);
  });

  it('stops at a policy that answered itself: no later policy and no route run, the response policies do', async () => {
    const log: string[] = [];
    const { req, res } = fakeExchange();
    await runFlow({ request: [recorder(log, 'a', RESPOND), recorder(log, 'b')], routes: [route(log)], response: [recorder(log, 'c')] })(
      req,
      res,
    );
    expect(log).toEqual(['request:a', 'response:c:200']);
  });

  it('writes a refusal as a coded GraphQL error with its status and headers, and records its code', async () => {
    const log: string[] = [];
    const exchange = fakeExchange();
    let seen: { refusedWith: string | null; errorCodes: string[] } | null = null;
    const refuse = recorder(log, 'a', new HttpGraphQLError(429, 'RATE_LIMITED', 'slow down', { 'retry-after': '3' }));
    const spy: Policy = {
      name: 'spy',
      onResponse: (e) => void (seen = { refusedWith: e.refusedWith, errorCodes: [...e.analytics.errorCodes] }),
    };
    await runFlow({ request: [refuse], routes: [route(log)], response: [spy] })(exchange.req, exchange.res);
    expect(log).toEqual(['request:a']);
    expect(exchange.written.statusCode).toBe(429);
    expect(exchange.written.headers['retry-after']).toBe('3');
    expect(JSON.parse(exchange.written.body)).toEqual({ errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] });
    expect(seen).toEqual({ refusedWith: 'RATE_LIMITED', errorCodes: ['RATE_LIMITED'] });
  });

  it('lets an unexpected failure through as a 500 for the server to answer, after the response policies saw it', async () => {
    const log: string[] = [];
    const { req, res } = fakeExchange();
    const flow = runFlow({ request: [recorder(log, 'a', new Error('bug'))], routes: [route(log)], response: [recorder(log, 'c')] });
    await expect(flow(req, res)).rejects.toThrow('bug');
    expect(log).toEqual(['request:a', 'response:c:500']);
  });
});
