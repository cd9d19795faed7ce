import { ContextError, signContext, verifyContext, type RequestContext } from './request-context';

describe('signed request context', () => {
  const now = 1_800_000_000;
  const keys = { secrets: ['s'.repeat(32)] };
  const context: RequestContext = { tenantId: 'acme', consumerId: 'app-42', scopes: ['bookings:read'], requestId: 'req-1', exp: now + 60 };

  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ContextError) return err.code;
      throw err;
    }
    return 'OK';
  };

  it('round-trips a context the gateway signed', () => {
    expect(verifyContext(signContext(context, keys), keys, now)).toEqual(context);
  });

  it('refuses a missing or malformed header', () => {
    expect(codeOf(() => verifyContext(undefined, keys, now))).toBe('CONTEXT_MISSING');
    expect(codeOf(() => verifyContext('', keys, now))).toBe('CONTEXT_MISSING');
    expect(codeOf(() => verifyContext('v2.abc.def', keys, now))).toBe('CONTEXT_MALFORMED');
    expect(codeOf(() => verifyContext('v1.onlytwo', keys, now))).toBe('CONTEXT_MALFORMED');
  });

  it('refuses a forged payload or a signature from another secret', () => {
    const [v, , sig] = signContext(context, keys).split('.');
    const forged = Buffer.from(JSON.stringify({ ...context, tenantId: 'globex' })).toString('base64url');
    expect(codeOf(() => verifyContext(`${v}.${forged}.${sig}`, keys, now))).toBe('CONTEXT_BAD_SIGNATURE');
    expect(codeOf(() => verifyContext(signContext(context, { secrets: ['t'.repeat(32)] }), keys, now))).toBe('CONTEXT_BAD_SIGNATURE');
  });

  it('refuses an expired context, and one that lives too long, allowing a little clock skew', () => {
    expect(codeOf(() => verifyContext(signContext({ ...context, exp: now - 10 }, keys), keys, now))).toBe('CONTEXT_EXPIRED');
    expect(codeOf(() => verifyContext(signContext({ ...context, exp: now - 2 }, keys), keys, now))).toBe('OK');
    expect(codeOf(() => verifyContext(signContext({ ...context, exp: now + 3600 }, keys), keys, now))).toBe('CONTEXT_INVALID');
  });

  it('refuses a signed payload that is not a complete context', () => {
    const partial = { ...context, tenantId: 'Not A Tenant' };
    expect(codeOf(() => verifyContext(signContext(partial, keys), keys, now))).toBe('CONTEXT_INVALID');
  });

  it('verifies with any configured secret, so secrets can rotate', () => {
    const rotated = { secrets: ['n'.repeat(32), 's'.repeat(32)] };
    expect(verifyContext(signContext(context, keys), rotated, now).tenantId).toBe('acme');
    expect(verifyContext(signContext(context, rotated), rotated, now).tenantId).toBe('acme');
  });

  it('refuses to work with a short or missing secret', () => {
    expect(() => signContext(context, { secrets: ['short'] })).toThrow(/32 or more characters/);
    expect(() => verifyContext('v1.a.b', { secrets: [] }, now)).toThrow(/32 or more characters/);
  });
});
