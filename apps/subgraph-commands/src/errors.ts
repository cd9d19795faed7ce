import { GraphQLError } from 'graphql';
import type { ValidationProblem } from '@phoenix/domain';

/**
 * A write refused as a whole, with a stable code (docs/api.md "Writing"), the HTTP
 * status the CloudEvents route answers with, and, for retryable ones, how long to wait.
 */
export class WriteError extends Error {
  constructor(
    readonly code: WriteErrorCode,
    message: string,
    readonly extra: { problems?: readonly ValidationProblem[]; retryAfterSeconds?: number; conflictsWith?: string } = {},
  ) {
    super(message);
    this.name = 'WriteError';
  }

  get status(): number {
    return WRITE_ERROR_STATUS[this.code];
  }

  toGraphQL(): GraphQLError {
    return new GraphQLError(this.message, { extensions: { code: this.code, ...this.extra } });
  }
}

export const WRITE_ERROR_STATUS = {
  BAD_USER_INPUT: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NOT_BOOKABLE: 422,
  INVALID_SLOT: 422,
  INVALID_TRANSITION: 409,
  CONFLICT: 409,
  TENANT_MISMATCH: 403,
  BATCH_TOO_LARGE: 413,
  IDEMPOTENCY_IN_PROGRESS: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  UNAVAILABLE: 503,
} as const;

export type WriteErrorCode = keyof typeof WRITE_ERROR_STATUS;
