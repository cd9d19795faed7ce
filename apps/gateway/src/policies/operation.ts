import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, Kind } from 'graphql';

/**
 * The operation to run must be found in the document: an `operationName` that names none
 * of its operations, or several operations and no name, is the client's mistake —
 * OPERATION_RESOLUTION_FAILURE with HTTP 400, before anything is planned (Apollo Server
 * leaves it to the executor, which in a gateway fails as an internal error). Likewise an
 * operation of a type the schema does not have (`mutation { … }` here) is
 * GRAPHQL_VALIDATION_FAILED with HTTP 400.
 */
export function operationResolutionPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, schema }) {
          if (operation && schema.getRootType(operation.operation)) return;
          if (operation) {
            // graphql-js 16 validates no "known operation types" rule: the executor would fail instead.
            throw new GraphQLError(`this API has no ${operation.operation} operations`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
          const names = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : []));
          const message =
            names.length === 0
              ? 'the document defines no operation, only fragments'
              : request.operationName
                ? `no operation named "${String(request.operationName).slice(0, 100)}" in the document (it has ${names.join(', ')})`
                : `the document has ${names.length} operations (${names.join(', ')}): say which to run in operationName`;
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
        },
      };
    },
  };
}
