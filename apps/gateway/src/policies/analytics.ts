import type { ApolloServerPlugin } from '@apollo/server';
import { isPublicError } from '@phoenix/service';
import type { GatewayMetrics } from '../analytics';
import type { GatewayContext } from '../context';
import { GATEWAY_PUBLIC_CODES } from '../error-codes';
import type { Policy } from '../policy';

/**
 * Apigee Analytics: per request, the count by consumer, operation and status, the
 * latency, every error code answered, and a refusal by a policy by its code.
 */
export function analyticsPolicy(metrics: GatewayMetrics): Policy {
  return {
    name: 'analytics',
    onResponse(exchange) {
      const consumer = exchange.principal?.consumerId ?? 'unknown';
      const operation = metrics.operationLabel(exchange.analytics.operationName);
      metrics.requests.inc({ consumer, operation, status: String(exchange.status) });
      metrics.duration.observe({ consumer, operation }, (performance.now() - exchange.startedAt) / 1000);
      for (const code of exchange.analytics.errorCodes) metrics.errors.inc({ consumer, code });
      if (exchange.refusedWith) metrics.refused.inc({ consumer, code: exchange.refusedWith });
    },
  };
}

/**
 * The GraphQL side of analytics: collects the error codes of every answer for the
 * metrics and the access log, and logs the internal ones with their cause (a subgraph
 * that failed at warn, for operators; the client's answer says only "retry" or "refused").
 */
export function errorCodesPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.['code'];
            if (code === 'SUBGRAPH_UNAVAILABLE' || code === 'DOWNSTREAM_SERVICE_ERROR') {
              contextValue.logger.warn(
                { code, subgraph: error.extensions?.['serviceName'], reason: error.message },
                'subgraph call failed',
              );
              continue;
            }
            if (isPublicError(error, GATEWAY_PUBLIC_CODES)) continue;
            contextValue.logger.error({ err: error.originalError ?? error, path: error.path?.join('.') }, 'request failed');
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            contextValue.analytics.errorCodes.push(String(error.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR'));
          }
        },
      };
    },
  };
}
