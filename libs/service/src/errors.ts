import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

/**
 * The error codes Phoenix answers with (subgraphs and gateway). Clients branch on
 * `extensions.code`; the message says what to fix. Anything else is an internal error
 * and is masked.
 */
export const PUBLIC_ERROR_CODES = new Set([
  'BAD_USER_INPUT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  // Writes (commands subgraph): what the command or event needs, what it collided with, when to retry.
  'NOT_FOUND',
  'NOT_BOOKABLE',
  'INVALID_SLOT',
  'INVALID_TRANSITION',
  'CONFLICT',
  'TENANT_MISMATCH',
  'BATCH_TOO_LARGE',
  'IDEMPOTENCY_IN_PROGRESS',
  'IDEMPOTENCY_KEY_REUSED',
  'UNAVAILABLE',
]);

/** A bad argument: `argument` names it (e.g. `first`, `filter.from`), the message says what is allowed. */
export function badUserInput(argument: string, message: string): GraphQLError {
  return new GraphQLError(`${argument}: ${message}`, { extensions: { code: 'BAD_USER_INPUT', argument } });
}

/** The signed context lacks a scope this field needs. */
export function forbidden(scope: string, what: string): GraphQLError {
  return new GraphQLError(`${what} needs the "${scope}" scope; ask the API owner to add it to your consumer`, {
    extensions: { code: 'FORBIDDEN', scope },
  });
}

export const INTERNAL_MESSAGE = 'Internal server error: quote the requestId when reporting it';

/**
 * Apollo's `formatError`: public errors pass through; everything else (warehouse
 * failures, bugs) becomes INTERNAL_SERVER_ERROR with no message, SQL or stack. The
 * original is logged by the errors plugin with the request id.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  return createErrorFormatter(PUBLIC_ERROR_CODES)(formatted, error);
}

/**
 * A formatError with more public codes (the gateway's limits), and `extensions.limitCode`
 * lifted into `code`: Apollo renames every validation error GRAPHQL_VALIDATION_FAILED,
 * but a client must tell a depth bomb from a typo.
 */
export function createErrorFormatter(publicCodes: ReadonlySet<string>) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const limitCode = formatted.extensions?.['limitCode'];
    if (typeof limitCode === 'string' && publicCodes.has(limitCode)) {
      const { stacktrace: _s, limitCode: _l, http: _h, ...rest } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...rest, code: limitCode } };
    }
    return maskUnlessPublic(formatted, error, publicCodes);
  };
}

function maskUnlessPublic(formatted: GraphQLFormattedError, error: unknown, publicCodes: ReadonlySet<string>): GraphQLFormattedError {
  const code = formatted.extensions?.['code'];
  const original = unwrapResolverError(error);
  if (typeof code === 'string' && publicCodes.has(code) && !(original instanceof Error && !(original instanceof GraphQLError))) {
    const { stacktrace: _stacktrace, http: _http, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: INTERNAL_MESSAGE,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** True for errors that are the caller's, not ours (not logged as failures). */
export function isPublicError(error: unknown, publicCodes: ReadonlySet<string> = PUBLIC_ERROR_CODES): boolean {
  const original = unwrapResolverError(error);
  const code = original instanceof GraphQLError ? original.extensions['code'] : undefined;
  return typeof code === 'string' && publicCodes.has(code);
}
