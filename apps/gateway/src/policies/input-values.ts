import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  GraphQLError,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  TypeInfo,
  typeFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { isRealTimestamp, isWellFormedTimestamp } from '@phoenix/domain';

/**
 * Why a DateTime input cannot be used, or null when it can: it must be what the
 * subgraphs' DateTime scalar accepts (an RFC 3339 timestamp with an offset) and, once in
 * UTC and rounded up to the microsecond, no later than the warehouse's last instant —
 * `9999-12-31T23:59:59.999999999Z` and `9999-12-31T23:00:00-05:00` are in year 10000
 * there, and the warehouse refuses the whole query.
 */
export function dateTimeProblem(value: unknown): string | null {
  if (typeof value !== 'string' || !isWellFormedTimestamp(value)) {
    return 'DateTime must be an RFC 3339 timestamp with a time zone offset, e.g. 2026-01-05T09:00:00Z';
  }
  // The range is the domain's: the same rule decides which events the ingest accepts.
  if (!isRealTimestamp(value)) return `DateTime must be no later than 9999-12-31T23:59:59.999999Z in UTC (got ${value})`;
  return null;
}

/**
 * Checks every DateTime the operation passes — written in the document or sent as a
 * variable, also inside input objects and lists — before anything is planned, so a
 * client's impossible timestamp is its own BAD_USER_INPUT (HTTP 400), not a warehouse
 * failure masked as an internal error.
 */
export function checkInputValues(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): GraphQLError | null {
  const refuse = (where: string, problem: string) =>
    new GraphQLError(`${where}: ${problem}`, { extensions: { code: 'BAD_USER_INPUT', argument: where, http: { status: 400 } } });

  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type as never) as GraphQLInputType | undefined;
    if (!type || !(name in variables)) continue;
    const stack: { value: unknown; type: GraphQLInputType; path: string }[] = [{ value: variables[name], type, path: `$${name}` }];
    while (stack.length > 0) {
      const { value, type: current, path } = stack.pop() as (typeof stack)[number];
      if (value === null || value === undefined) continue;
      const inner = isNonNullType(current) ? current.ofType : current;
      if (isListType(inner)) {
        const items = Array.isArray(value) ? value : [value];
        items.forEach((item, i) => stack.push({ value: item, type: inner.ofType, path: `${path}[${i}]` }));
      } else if (isInputObjectType(inner)) {
        if (typeof value !== 'object') continue; // coercion reports it
        const fields = inner.getFields();
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
          const field = fields[key];
          if (field) stack.push({ value: child, type: field.type, path: `${path}.${key}` });
        }
      } else if (inner.name === 'DateTime') {
        const problem = dateTimeProblem(value);
        if (problem) return refuse(path, problem);
      }
    }
  }

  let found: GraphQLError | null = null;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      StringValue(node) {
        if (found) return;
        const type = typeInfo.getInputType();
        if (!type || getNamedType(type).name !== 'DateTime') return;
        const problem = dateTimeProblem(node.value);
        const argument = typeInfo.getArgument()?.name ?? 'DateTime';
        if (problem) found = refuse(argument, problem);
      },
    }),
  );
  return found;
}

/** checkInputValues for every operation, once its variables are known. */
export function inputValuesPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const error = checkInputValues(schema, document, operation, request.variables ?? {});
          if (error) throw error;
        },
      };
    },
  };
}
