import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import { Kind } from 'graphql';
import type { GatewayContext } from '../context';
import { feedValue } from './variables';

/**
 * Response caching for reference data (Apigee's ResponseCache): a query whose every root
 * field is in `rootFields` is answered from memory for `ttlSeconds`. The key holds the
 * tenant and the consumer's scopes (what the answer may contain), the operation text,
 * its name and variables, so no answer crosses tenants or permissions. Only answers
 * without errors are kept. `x-phoenix-cache: hit|miss` tells clients which it was.
 */
export function responseCachePlugin(options: {
  ttlSeconds: number;
  maxEntries: number;
  rootFields: readonly string[];
}): ApolloServerPlugin<GatewayContext> {
  const cacheable = new Set(options.rootFields);
  const entries = new Map<string, { body: GraphQLResponse['body']; expiresAt: number }>();
  const enabled = options.ttlSeconds > 0 && options.maxEntries > 0;

  return {
    async requestDidStart() {
      let key: string | null = null;
      return {
        async didResolveOperation({ operation, request, contextValue, source }) {
          if (!enabled || !operation || operation.operation !== 'query') return;
          const roots = operation.selectionSet.selections;
          if (!roots.every((s) => s.kind === Kind.FIELD && (cacheable.has(s.name.value) || s.name.value === '__typename'))) return;
          const { principal } = contextValue;
          // `source`, not request.query: an APQ request sent by hash alone has no query text.
          // feedValue walks the variables without recursion: their depth cannot exhaust the stack.
          const hash = createHash('sha256');
          feedValue(
            [principal.tenantId, [...principal.scopes].sort(), source, request.operationName ?? null, request.variables ?? {}],
            (chunk) => hash.update(chunk),
          );
          key = hash.digest('base64url');
        },
        async responseForOperation({ contextValue, response }) {
          if (!key) return null;
          const hit = entries.get(key);
          if (!hit || hit.expiresAt <= Date.now()) {
            if (hit) entries.delete(key);
            contextValue.analytics.cache = 'miss';
            return null;
          }
          contextValue.analytics.cache = 'hit';
          return { http: response.http, body: hit.body };
        },
        async willSendResponse({ response, contextValue }) {
          if (!key) return;
          response.http.headers.set('x-phoenix-cache', contextValue.analytics.cache ?? 'miss');
          if (contextValue.analytics.cache === 'hit') return;
          if (response.body.kind !== 'single' || response.body.singleResult.errors?.length) return;
          while (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value as string);
          entries.set(key, { body: response.body, expiresAt: Date.now() + options.ttlSeconds * 1000 });
        },
      };
    },
  };
}
