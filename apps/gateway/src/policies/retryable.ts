import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { SUBGRAPH_RETRY_AFTER_SECONDS } from '../error-codes';

/**
 * An answer with a SUBGRAPH_UNAVAILABLE error tells the client when to retry
 * (`Retry-After`), and is HTTP 503 when it holds no data at all (`data` null, or every
 * root field null): then nothing in it is usable and the whole request is worth
 * retrying. With some data it stays 200, the error beside the fields it affected.
 */
export function retryablePlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          if (!errors?.some((e) => e.extensions?.['code'] === 'SUBGRAPH_UNAVAILABLE')) return;
          response.http.headers.set('retry-after', String(SUBGRAPH_RETRY_AFTER_SECONDS));
          const empty = data === null || data === undefined || Object.values(data).every((v) => v === null);
          if (empty) response.http.status = 503;
        },
      };
    },
  };
}
