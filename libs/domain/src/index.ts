/**
 * @phoenix/domain — the shared model: the nine entity types, the CloudEvents
 * envelope and event vocabulary, validation with stable problem codes, the version
 * order every writer and reader agrees on, and the scopes consumers are granted. Pure
 * TypeScript: no I/O. Synthetic event streams are in @phoenix/fixtures; request-context
 * signing and the consumers file in @phoenix/access; config parsing in @phoenix/service/config.
 */
export * from './entities';
export * from './events';
export * from './validation';
export * from './scopes';
