import type { Logger } from 'pino';
import type { Policy } from '../policy';

/** One access-log line per request, whatever its outcome: ids, operation, status, duration, error codes. Never variables, never personal data. */
export function accessLogPolicy(logger: Logger): Policy {
  return {
    name: 'access-log',
    onResponse(exchange) {
      const { principal, analytics } = exchange;
      logger.info(
        {
          requestId: exchange.requestId,
          consumerId: principal?.consumerId ?? null,
          tenantId: principal?.tenantId ?? null,
          operationName: analytics.operationName,
          operationHash: analytics.operationHash,
          status: exchange.status,
          durationMs: Math.round(performance.now() - exchange.startedAt),
          errors: analytics.errorCodes,
          cache: analytics.cache,
        },
        'access',
      );
    },
  };
}
