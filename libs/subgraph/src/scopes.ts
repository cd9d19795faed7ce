import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import { scopeOf } from '@phoenix/service';
import { requireScope, type SubgraphContext } from './context';

/**
 * Wraps the resolver of every field that declares `@scope(requires: …)` so it refuses
 * with FORBIDDEN (and no data) unless the signed context carries that scope. Resolvers
 * stay free of authorization code; the SDL says who may read what.
 */
export function enforceScopes(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const scope = scopeOf(field.astNode);
      if (!scope) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const what = `${type.name}.${field.name}`;
      field.resolve = (source, args, ctx: SubgraphContext, info) => {
        requireScope(ctx, scope, what);
        return resolve(source, args, ctx, info);
      };
    }
  }
  return schema;
}
