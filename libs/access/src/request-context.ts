import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The request context the gateway signs and the subgraphs verify: who is asking
 * (tenant, consumer, scopes) for which request, until when. Subgraphs take the tenant
 * only from here — never from client arguments — and refuse a request without a valid
 * signature before touching the warehouse.
 *
 * Wire format (one header, `x-phoenix-context`): `v1.<payload>.<signature>`, where
 * payload is base64url(JSON) and signature is base64url(HMAC-SHA256(secret, "v1.<payload>")).
 * Several secrets may be configured: the first signs, any verifies, so a secret can be
 * rotated without downtime.
 */
export const CONTEXT_HEADER = 'x-phoenix-context';

export interface RequestContext {
  tenantId: string;
  /** The API consumer (developer app) the request came from. */
  consumerId: string;
  scopes: string[];
  requestId: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

export type ContextErrorCode = 'CONTEXT_MISSING' | 'CONTEXT_MALFORMED' | 'CONTEXT_BAD_SIGNATURE' | 'CONTEXT_EXPIRED' | 'CONTEXT_INVALID';

export class ContextError extends Error {
  constructor(
    readonly code: ContextErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ContextError';
  }
}

export interface ContextKeys {
  /** Shared secrets, each at least 32 characters; the first one signs. */
  secrets: readonly string[];
}

const VERSION = 'v1';
// A context lives for one request through the federation; a short bound limits replay.
export const MAX_CONTEXT_TTL_SECONDS = 300;
// Gateway and subgraph clocks may differ a little.
const CLOCK_SKEW_SECONDS = 5;
const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function sign(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

function checkSecrets(keys: ContextKeys): void {
  if (keys.secrets.length === 0 || keys.secrets.some((s) => s.length < 32)) {
    throw new TypeError('request context: configure at least one secret of 32 or more characters');
  }
}

/** Signs a context for the subgraphs (the gateway's side). */
export function signContext(context: RequestContext, keys: ContextKeys): string {
  checkSecrets(keys);
  const payload = Buffer.from(JSON.stringify(context)).toString('base64url');
  const data = `${VERSION}.${payload}`;
  return `${data}.${sign(keys.secrets[0] as string, data).toString('base64url')}`;
}

/**
 * Verifies a signed context (the subgraphs' side) and returns it, or throws a
 * ContextError with a stable code. `nowSeconds` is injectable for tests.
 */
export function verifyContext(
  header: string | undefined | null,
  keys: ContextKeys,
  nowSeconds = Math.floor(Date.now() / 1000),
): RequestContext {
  checkSecrets(keys);
  if (!header)
    throw new ContextError('CONTEXT_MISSING', `the ${CONTEXT_HEADER} header is required: requests must come through the gateway`);
  const parts = header.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !parts[1] || !parts[2]) {
    throw new ContextError('CONTEXT_MALFORMED', `the ${CONTEXT_HEADER} header is not a ${VERSION} signed context`);
  }
  const data = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2], 'base64url');
  const valid = keys.secrets.some((secret) => {
    const expected = sign(secret, data);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!valid) throw new ContextError('CONTEXT_BAD_SIGNATURE', `the ${CONTEXT_HEADER} signature does not match`);

  let context: unknown;
  try {
    context = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new ContextError('CONTEXT_MALFORMED', `the ${CONTEXT_HEADER} payload is not JSON`);
  }
  const c = context as Partial<RequestContext>;
  const wellFormed =
    typeof c === 'object' &&
    c !== null &&
    typeof c.tenantId === 'string' &&
    TENANT.test(c.tenantId) &&
    typeof c.consumerId === 'string' &&
    c.consumerId.length > 0 &&
    Array.isArray(c.scopes) &&
    c.scopes.every((s) => typeof s === 'string') &&
    typeof c.requestId === 'string' &&
    typeof c.exp === 'number' &&
    Number.isInteger(c.exp);
  if (!wellFormed)
    throw new ContextError('CONTEXT_INVALID', `the ${CONTEXT_HEADER} payload lacks tenantId, consumerId, scopes, requestId or exp`);
  const ctx = c as RequestContext;
  if (ctx.exp < nowSeconds - CLOCK_SKEW_SECONDS) throw new ContextError('CONTEXT_EXPIRED', `the ${CONTEXT_HEADER} expired`);
  if (ctx.exp > nowSeconds + MAX_CONTEXT_TTL_SECONDS + CLOCK_SKEW_SECONDS) {
    throw new ContextError('CONTEXT_INVALID', `the ${CONTEXT_HEADER} lives longer than ${MAX_CONTEXT_TTL_SECONDS} s`);
  }
  return { tenantId: ctx.tenantId, consumerId: ctx.consumerId, scopes: [...ctx.scopes], requestId: ctx.requestId, exp: ctx.exp };
}
