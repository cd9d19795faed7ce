import { HttpGraphQLError } from '@phoenix/service';
import type { OperationRequest } from '../exchange';
import { CONTINUE, type Policy } from '../policy';
import { checkOperationEnvelope } from './variables';

/**
 * Reads the operations a request carries into the exchange: a POST's object, each entry
 * of a POST's array (a batch, at most MAX_BATCH: 400 BATCH_LIMIT_EXCEEDED), or a GET's
 * query string. Every operation of a POST is checked for its shape before any runs
 * (400 BAD_REQUEST), so a malformed one refuses its batch before its siblings call a
 * subgraph. The landing page carries none.
 */
export function operationsPolicy(options: { maxBatch: number }): Policy {
  return {
    name: 'operations',
    onRequest(exchange) {
      const { body } = exchange;
      if (Array.isArray(body)) {
        if (body.length > options.maxBatch) {
          throw new HttpGraphQLError(400, 'BATCH_LIMIT_EXCEEDED', `at most ${options.maxBatch} operations per batch (got ${body.length})`);
        }
        for (const op of body) checkOperationEnvelope(op);
        exchange.batch = true;
        exchange.operations = body as OperationRequest[];
      } else if (typeof body === 'object' && body !== null) {
        checkOperationEnvelope(body);
        exchange.operations = [body];
      } else if (exchange.req.method === 'GET' && !exchange.landingPage) {
        const params = new URLSearchParams(exchange.search);
        const query = params.get('query');
        const variables = params.get('variables');
        const extensions = params.get('extensions');
        exchange.operations = [
          {
            ...(query ? { query } : {}),
            ...(variables ? { variables: safeJson(variables) } : {}),
            ...(extensions ? { extensions: safeJson(extensions) } : {}),
          },
        ];
      }
      return CONTINUE;
    },
  };
}

/** A GET's JSON parameter, or undefined when it is not JSON (Apollo Server answers that). */
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
