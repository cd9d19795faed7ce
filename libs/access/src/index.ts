/**
 * @phoenix/access — who may call: the request context the gateway signs and the subgraphs
 * verify, and the API consumers file (developer apps, hashed keys, limits, scopes).
 */
export * from './request-context';
export * from './consumers';
