import type { Logger } from 'pino';
import { HttpGraphQLError } from '@phoenix/service';
import { CONTINUE, type Policy } from '../policy';
import { rateLimitHeaders, type RateLimiter, type RatePolicy } from './rate-limit';

/**
 * SpikeArrest and Quota per consumer (rate-limit.ts decides): the RateLimit headers on
 * every answer, 429 RATE_LIMITED with Retry-After once a limit is reached. When the
 * limiter cannot decide (Redis down), RATE_LIMIT_FAIL_OPEN lets the request through,
 * else it is refused with 503 SERVICE_UNAVAILABLE. Anonymous requests and consumers
 * without limits are not counted.
 */
export function quotaPolicy(rateLimiter: RateLimiter, options: { failOpen: boolean; logger: Logger }): Policy {
  const { failOpen, logger } = options;
  return {
    name: 'spike-arrest-and-quota',
    async onRequest(exchange) {
      const principal = exchange.principal;
      if (exchange.anonymous || !principal?.limits) return CONTINUE;
      let decision;
      try {
        decision = await rateLimiter.check(principal.consumerId, principal.limits);
      } catch (err) {
        if (failOpen) {
          logger.warn(
            { err, consumerId: principal.consumerId },
            'rate limiter unavailable: letting the request through (RATE_LIMIT_FAIL_OPEN)',
          );
          return CONTINUE;
        }
        logger.error({ err }, 'rate limiter unavailable: refusing');
        throw new HttpGraphQLError(503, 'SERVICE_UNAVAILABLE', 'rate limits cannot be checked right now; retry shortly', {
          'retry-after': '1',
        });
      }
      const headers = rateLimitHeaders(decision);
      for (const name in headers) exchange.res.setHeader(name, headers[name] as string);
      if (!decision.allowed) {
        const wait = decision.retryAfterSeconds ?? decision.resetSeconds;
        throw new HttpGraphQLError(
          429,
          'RATE_LIMITED',
          `${describePolicy(decision.policy)} of ${decision.limit} exceeded: retry in ${wait} s`,
          headers,
        );
      }
      return CONTINUE;
    },
  };
}

function describePolicy(policy: RatePolicy): string {
  return policy === 'spike-arrest' ? 'spike arrest rate' : policy === 'quota-minute' ? 'per-minute quota' : 'daily quota';
}
