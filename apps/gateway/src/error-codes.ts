/**
 * Every `extensions.code` a client can receive from the gateway, with the HTTP status it
 * comes with and whether retrying can help. docs/api.md ("Errors") mirrors this table;
 * error-codes.spec.ts keeps the two in step. A code not listed here is masked as
 * INTERNAL_SERVER_ERROR before it reaches a client.
 *
 * `status` is the status of an answer that carries only this error. Inside a batch every
 * operation is answered on its own and the batch is 200; an error next to partial data
 * (from a subgraph) is also 200.
 * `retry`: `yes` — the same request may succeed later (honour `Retry-After` when sent);
 * `no` — it fails again until the client changes it.
 */
export interface ErrorCodeSpec {
  status: number;
  retry: 'yes' | 'no';
}

export const GATEWAY_ERROR_CODES = {
  // Before the operation is read: HTTP, credentials, quotas.
  UNAUTHENTICATED: { status: 401, retry: 'no' },
  CORS_ORIGIN_NOT_ALLOWED: { status: 403, retry: 'no' },
  METHOD_NOT_ALLOWED: { status: 405, retry: 'no' },
  REQUEST_BODY_TIMEOUT: { status: 408, retry: 'yes' },
  PAYLOAD_TOO_LARGE: { status: 413, retry: 'no' },
  RATE_LIMITED: { status: 429, retry: 'yes' },
  TOO_MANY_CONNECTIONS: { status: 429, retry: 'yes' },
  SERVICE_UNAVAILABLE: { status: 503, retry: 'yes' },
  // The request's shape.
  BAD_REQUEST: { status: 400, retry: 'no' },
  BATCH_LIMIT_EXCEEDED: { status: 400, retry: 'no' },
  MAX_VARIABLE_DEPTH_EXCEEDED: { status: 400, retry: 'no' },
  OPERATION_NOT_IN_SAFELIST: { status: 400, retry: 'no' },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, retry: 'yes' },
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 200, retry: 'no' },
  PERSISTED_QUERY_HASH_MISMATCH: { status: 400, retry: 'no' },
  // The operation.
  GRAPHQL_PARSE_FAILED: { status: 400, retry: 'no' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, retry: 'no' },
  OPERATION_RESOLUTION_FAILURE: { status: 400, retry: 'no' },
  BAD_USER_INPUT: { status: 400, retry: 'no' },
  MAX_DEPTH_EXCEEDED: { status: 400, retry: 'no' },
  MAX_ALIASES_EXCEEDED: { status: 400, retry: 'no' },
  MAX_ROOT_FIELDS_EXCEEDED: { status: 400, retry: 'no' },
  MAX_TOKENS_EXCEEDED: { status: 400, retry: 'no' },
  MAX_DIRECTIVES_EXCEEDED: { status: 400, retry: 'no' },
  MAX_COST_EXCEEDED: { status: 400, retry: 'no' },
  FORBIDDEN: { status: 403, retry: 'no' },
  // Execution.
  DOWNSTREAM_SERVICE_ERROR: { status: 200, retry: 'no' },
  SUBGRAPH_UNAVAILABLE: { status: 503, retry: 'yes' },
  REQUEST_TIMEOUT: { status: 504, retry: 'yes' },
  INTERNAL_SERVER_ERROR: { status: 500, retry: 'no' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

/** The codes the gateway answers with on purpose; anything else is masked as INTERNAL_SERVER_ERROR. */
export const GATEWAY_PUBLIC_CODES: ReadonlySet<string> = new Set(
  Object.keys(GATEWAY_ERROR_CODES).filter((c) => c !== 'INTERNAL_SERVER_ERROR'),
);

/** Seconds a client should wait before retrying after a subgraph was unavailable (a restart or a failover takes about this long). */
export const SUBGRAPH_RETRY_AFTER_SECONDS = 2;
