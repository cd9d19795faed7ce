import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { apiKeyId, apiKeyMatches, type RateLimitsConfig } from '@phoenix/access';
import { HttpGraphQLError } from '@phoenix/service';
import type { ConsumerStore } from './consumers';
import type { GatewayEnvironment } from './environment';

/** Who is calling, as the gateway established it. Only this reaches the subgraphs (signed). */
export interface Principal {
  consumerId: string;
  tenantId: string;
  scopes: string[];
  limits: RateLimitsConfig | null;
  method: 'api-key' | 'jwt';
}

const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * VerifyAPIKey and VerifyJWT. An API key (header, default x-api-key) is looked up by its
 * key id and compared by hash in constant time; a bearer JWT is verified against the
 * configured JWKS (issuer, audience, expiry, algorithm) and gives tenant and scopes from
 * its claims, with quotas from the consumers file when its client id is listed there.
 * Every failure is a 401 with a WWW-Authenticate header saying what is wrong.
 */
export function createAuthenticator(config: GatewayEnvironment['auth'], consumers: ConsumerStore) {
  const jwt = config.jwt;
  const keySet = jwt
    ? jwt.jwksUrl
      ? createRemoteJWKSet(new URL(jwt.jwksUrl))
      : createLocalJWKSet(JSON.parse(readFileSync(jwt.jwksFile as string, 'utf8')) as Parameters<typeof createLocalJWKSet>[0])
    : null;

  const refuse = (scheme: 'ApiKey' | 'Bearer', error: string, description: string) =>
    new HttpGraphQLError(401, 'UNAUTHENTICATED', description, {
      'www-authenticate': `${scheme} realm="phoenix", error="${error}", error_description="${description.replace(/"/g, "'")}"`,
    });

  function byApiKey(key: string): Principal {
    const keyId = apiKeyId(key);
    const entry = keyId ? consumers.byKeyId(keyId) : undefined;
    if (!entry || !apiKeyMatches(key, entry.sha256)) throw refuse('ApiKey', 'invalid_key', 'the API key is not valid');
    if (entry.revoked) throw refuse('ApiKey', 'invalid_key', 'the API key has been revoked: ask the API owner for a new one');
    const { consumer } = entry;
    return {
      consumerId: consumer.id,
      tenantId: consumer.tenantId,
      scopes: [...consumer.scopes],
      limits: consumer.limits,
      method: 'api-key',
    };
  }

  async function byJwt(token: string): Promise<Principal> {
    if (!jwt || !keySet) throw refuse('Bearer', 'invalid_request', 'bearer tokens are not accepted here: use an API key');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: jwt.algorithms,
        clockTolerance: jwt.clockToleranceSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw refuse('Bearer', 'invalid_token', 'the token has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed)
        throw refuse('Bearer', 'invalid_token', `the token's ${err.claim} claim is not accepted`);
      throw refuse('Bearer', 'invalid_token', 'the token signature or format is not valid');
    }
    const tenantId = payload[jwt.tenantClaim];
    if (typeof tenantId !== 'string' || !TENANT.test(tenantId)) {
      throw refuse('Bearer', 'invalid_token', `the token has no valid ${jwt.tenantClaim} claim`);
    }
    const consumerId = [payload['azp'], payload['client_id'], payload.sub].find((v): v is string => typeof v === 'string' && v.length > 0);
    if (!consumerId) throw refuse('Bearer', 'invalid_token', 'the token names no client (azp, client_id or sub)');
    // OAuth's `scope` is a space-separated string; `scp` is an array (Okta) or a string (Azure AD).
    const scope = payload['scope'];
    const scp = payload['scp'];
    const claimed =
      typeof scope === 'string'
        ? scope
        : Array.isArray(scp)
          ? scp.filter((s): s is string => typeof s === 'string').join(' ')
          : typeof scp === 'string'
            ? scp
            : '';
    const scopes = claimed.split(' ').filter(Boolean);
    // A client listed in the consumers file has its own limits; any other gets the defaults, never none.
    const known = consumers.get(consumerId);
    return { consumerId, tenantId, scopes, limits: known?.limits ?? jwt.defaultLimits, method: 'jwt' };
  }

  return async function authenticate(req: IncomingMessage): Promise<Principal> {
    const header = req.headers[config.apiKeyHeader];
    const key = Array.isArray(header) ? header[0] : header;
    const authorization = req.headers.authorization;
    if (key) return byApiKey(key);
    if (authorization?.startsWith('Bearer ')) return byJwt(authorization.slice(7).trim());
    throw refuse(
      jwt ? 'Bearer' : 'ApiKey',
      'invalid_request',
      jwt
        ? `send an API key in the ${config.apiKeyHeader} header or a bearer token`
        : `send an API key in the ${config.apiKeyHeader} header`,
    );
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
