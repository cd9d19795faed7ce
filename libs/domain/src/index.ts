/**
 * @phoenix/domain — the shared model: the nine entity types, the CloudEvents
 * envelope and event vocabulary, validation with stable problem codes, the version
 * order every writer and reader agrees on, and the seeded event-stream generator.
 * Pure TypeScript: no I/O.
 */
export * from './entities';
export * from './events';
export * from './validation';
export { generateEvents, generateEventList } from './generator/generator';
export type { GeneratorOptions, GeneratedMessage, GeneratedKind } from './generator/generator';
export { Random } from './generator/random';
export * from './config';
export * from './request-context';
export * from './scopes';
export * from './consumers';
