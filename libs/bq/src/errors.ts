/** Errors of the warehouse layer, shared by the query client and the Storage Write appender. */

/** Why a warehouse call failed, and whether trying again can help. */
export type WarehouseErrorCode = 'QUERY_FAILED' | 'NOT_FOUND' | 'TRANSIENT' | 'QUOTA_EXCEEDED' | 'PERMISSION_DENIED';

export class WarehouseError extends Error {
  constructor(
    readonly code: WarehouseErrorCode,
    message: string,
    /** True when the same call may succeed later (backend errors, rate limits, outages). */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WarehouseError';
  }
}
