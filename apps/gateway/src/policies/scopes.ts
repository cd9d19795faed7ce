import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../context';
import { sha256 } from './safelist';

/**
 * Authorization by scope, before planning: every field an operation selects is looked up
 * in the `@scope(requires: …)` map composed into the supergraph; if the consumer lacks
 * any, the whole operation is refused with FORBIDDEN (HTTP 403), listing what is missing,
 * and no subgraph is called. The subgraphs enforce the same map per field.
 */
export function missingScopes(
  schema: GraphQLSchema,
  document: DocumentNode,
  scopes: ReadonlyMap<string, string>,
  granted: readonly string[],
): string[] {
  const missing = new Map<string, string[]>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        const field = `${parent.name}.${node.name.value}`;
        const scope = scopes.get(field);
        if (scope && !granted.includes(scope)) missing.set(scope, [...(missing.get(scope) ?? []), field]);
      },
    }),
  );
  return [...missing.keys()].sort().map((scope) => `${scope} (for ${[...new Set(missing.get(scope))].join(', ')})`);
}

export function forbiddenOperation(missing: readonly string[]): GraphQLError {
  return new GraphQLError(`this operation needs scopes your consumer does not have: ${missing.join('; ')}`, {
    extensions: { code: 'FORBIDDEN', missingScopes: missing.map((m) => m.split(' ')[0]), http: { status: 403 } },
  });
}

/**
 * Refuses, before planning, an operation that selects a field whose scope the consumer
 * lacks; names the operation (and its hash) for analytics first. `scopes` is the map of
 * the supergraph in force.
 */
export function scopesPlugin(scopes: () => ReadonlyMap<string, string>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, schema, contextValue, operationName, source }) {
          contextValue.analytics.operationName = operationName ?? null;
          contextValue.analytics.operationHash = sha256(source);
          const missing = missingScopes(schema, document, scopes(), contextValue.principal.scopes);
          if (missing.length > 0) throw forbiddenOperation(missing);
        },
      };
    },
  };
}
